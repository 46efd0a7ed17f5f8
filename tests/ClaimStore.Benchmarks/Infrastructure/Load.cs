using System.Diagnostics;

namespace ClaimStore.Benchmarks.Infrastructure;

/// <summary>What one measured run of a workload did: completed operations, failures and latencies.</summary>
public sealed class LoadResult(long operations, long errors, double seconds, double[] latenciesMs, string? firstError, CpuUsage? cpu = null)
{
    public CpuUsage? Cpu { get; } = cpu;

    public long Operations { get; } = operations;

    public long Errors { get; } = errors;

    public double Seconds { get; } = seconds;

    /// <summary>Latencies of the successful operations, sorted, in milliseconds.</summary>
    public double[] LatenciesMs { get; } = latenciesMs;

    public string? FirstError { get; } = firstError;

    public double PerSecond => Operations / Seconds;

    public double P(double percent) => Stats.Percentile(LatenciesMs, percent);

    public string Describe(string unit) =>
        $"{PerSecond:F0} {unit}/s, p50 {P(50):F2} ms, p99 {P(99):F2} ms ({Operations} in {Seconds:F1} s, {Errors} errors)"
        + (Cpu is null ? "" : "; " + Cpu.Describe(Operations))
        + (FirstError is null ? "" : $"; first error: {FirstError}");
}

public static class Load
{
    /// <summary>
    /// Closed loop: <paramref name="workers"/> tasks each run their operation back to back (with a random
    /// generator of their own) for <paramref name="warmup"/> + <paramref name="measure"/>; only operations
    /// that end inside the measured window count. An operation returns false, or throws, for an unexpected
    /// answer. Worker <c>w</c> runs <c><paramref name="operationOf"/>(w)</c>, asked for once per run, so
    /// operations can keep state per worker, such as a connection of their own.
    /// </summary>
    public static async Task<LoadResult> ClosedLoopPerWorkerAsync(
        int workers, TimeSpan warmup, TimeSpan measure, Func<int, Func<Random, Task<bool>>> operationOf, int seed = 1, CpuMeter? meter = null)
    {
        var start = Stopwatch.GetTimestamp();
        var measureStart = start + (long)(warmup.TotalSeconds * Stopwatch.Frequency);
        var measureEnd = measureStart + (long)(measure.TotalSeconds * Stopwatch.Frequency);
        var latencies = new List<double>[workers];
        var errors = new long[workers];
        string? firstError = null;
        var cpu = meter is null ? Task.FromResult<CpuUsage?>(null) : Task.Run(async () =>
        {
            await Task.Delay(warmup);
            var before = meter.Take();
            await Task.Delay(measure);
            return (CpuUsage?)CpuMeter.Between(before, meter.Take());
        });

        var tasks = Enumerable.Range(0, workers).Select(w => Task.Run(async () =>
        {
            var random = new Random(seed * 7919 + w);
            var operation = operationOf(w);
            var mine = latencies[w] = new List<double>(4096);
            while (true)
            {
                var t0 = Stopwatch.GetTimestamp();
                if (t0 >= measureEnd)
                {
                    break;
                }

                bool ok;
                try
                {
                    ok = await operation(random);
                }
                catch (Exception ex)
                {
                    ok = false;
                    Interlocked.CompareExchange(ref firstError, $"{ex.GetType().Name}: {ex.Message}", null);
                }

                var t1 = Stopwatch.GetTimestamp();
                if (!ok)
                {
                    errors[w]++;
                    firstError ??= "unexpected answer";
                }
                else if (t1 >= measureStart && t1 <= measureEnd)
                {
                    mine.Add(Stopwatch.GetElapsedTime(t0, t1).TotalMilliseconds);
                }
            }
        })).ToArray();
        await Task.WhenAll(tasks);

        var all = latencies.SelectMany(l => l).Order().ToArray();
        return new LoadResult(all.Length, errors.Sum(), measure.TotalSeconds, all, firstError, await cpu);
    }

    /// <summary>Runs <paramref name="operation"/> <paramref name="count"/> times one after another, after <paramref name="warmup"/> unmeasured ones.</summary>
    public static async Task<LoadResult> SequentialAsync(int warmup, int count, Func<int, Task<bool>> operation)
    {
        var latencies = new List<double>(count);
        long errors = 0;
        string? firstError = null;
        var watch = Stopwatch.StartNew();
        for (var i = -warmup; i < count; i++)
        {
            if (i == 0)
            {
                watch.Restart();
            }

            var t0 = Stopwatch.GetTimestamp();
            bool ok;
            try
            {
                ok = await operation(i);
            }
            catch (Exception ex)
            {
                ok = false;
                firstError ??= $"{ex.GetType().Name}: {ex.Message}";
            }

            if (!ok)
            {
                errors++;
                firstError ??= "unexpected answer";
            }
            else if (i >= 0)
            {
                latencies.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
            }
        }

        return new LoadResult(latencies.Count, errors, watch.Elapsed.TotalSeconds, [.. latencies.Order()], firstError);
    }
}

/// <summary>Zipf-like choice of 0..n-1: item k is drawn with weight 1/(k+1)^s, so a few items are hot.</summary>
public sealed class Zipf
{
    private readonly double[] _cumulative;

    public Zipf(int n, double s)
    {
        _cumulative = new double[n];
        var sum = 0.0;
        for (var k = 0; k < n; k++)
        {
            sum += 1 / Math.Pow(k + 1, s);
            _cumulative[k] = sum;
        }

        for (var k = 0; k < n; k++)
        {
            _cumulative[k] /= sum;
        }
    }

    /// <summary>The share of draws that item 0 gets.</summary>
    public double TopShare => _cumulative[0];

    public int Next(Random random)
    {
        var index = Array.BinarySearch(_cumulative, random.NextDouble());
        return Math.Min(index < 0 ? ~index : index, _cumulative.Length - 1);
    }
}

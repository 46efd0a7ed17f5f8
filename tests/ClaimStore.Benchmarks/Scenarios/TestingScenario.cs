using System.Diagnostics;
using ClaimStore.Benchmarks.Infrastructure;
using ClaimStore.Testing;

namespace ClaimStore.Benchmarks.Scenarios;

/// <summary>
/// testing: the test kit's own costs (docs/testing.md). Each round starts a 3-host cluster with
/// <see cref="ClaimStoreCluster.StartAsync(ClaimStoreClusterOptions, CancellationToken)"/> (embedded
/// PostgreSQL included), then resets the store and kills and restarts a host three times each, with a
/// few claims written before each. Issue 22's targets: healthy within 20 s, a reset within 1 s, a killed
/// host back within 10 s. Smoke: one round, one reset and one kill.
/// </summary>
public static class TestingScenario
{
    private const int Hosts = 3;

    public static async Task RunAsync(BenchContext context)
    {
        var options = context.Options;
        var report = context.Report;
        var rounds = options.RoundsOr(3);
        // Smoke keeps one of each: the start alone takes most of CI's time for this scenario.
        var repeats = options.Pick(1, 3);
        List<double> starts = [], resets = [], firstResets = [], comebacks = [];
        Report.Note($"{rounds} round(s): StartAsync of {Hosts} hosts, then {repeats} x (50 claims, ResetAsync) and {repeats} x (50 claims, KillAsync + StartAsync of one host); host {HostProcess.HostDll}");
        for (var round = 0; round < rounds; round++)
        {
            var clock = Stopwatch.StartNew();
            await using var cluster = await ClaimStoreCluster.StartAsync(new ClaimStoreClusterOptions { Hosts = Hosts, HostPath = HostProcess.HostDll });
            starts.Add(clock.Elapsed.TotalSeconds);
            for (var i = 0; i < repeats; i++)
            {
                await SeedAsync(cluster, round, i);
                clock.Restart();
                await cluster.ResetAsync();
                resets.Add(clock.Elapsed.TotalSeconds);
                if (i == 0)
                {
                    firstResets.Add(resets[^1]);
                }
            }

            for (var i = 0; i < repeats; i++)
            {
                await SeedAsync(cluster, round, repeats + i);
                var victim = i % Hosts;
                clock.Restart();
                await cluster.KillAsync(victim);
                await cluster.StartAsync(victim);
                comebacks.Add(clock.Elapsed.TotalSeconds);
            }

            Report.Note($"round {round + 1}: healthy after {starts[^1]:F1} s; resets {string.Join(", ", resets.TakeLast(repeats).Select(s => s.ToString("F2", System.Globalization.CultureInfo.InvariantCulture)))} s; "
                + $"killed host back after {string.Join(", ", comebacks.TakeLast(repeats).Select(s => s.ToString("F2", System.Globalization.CultureInfo.InvariantCulture)))} s");
        }

        report.Figure("start_3_hosts_s", Stats.Median(starts), 1);
        report.Figure("start_3_hosts_max_s", starts.Max(), 1);
        report.Figure("reset_s", Stats.Median(resets), 2);
        report.Figure("reset_max_s", resets.Max(), 2);
        // A cluster's first reset is the one a test suite's first test waits for.
        report.Figure("reset_first_max_s", firstResets.Max(), 2);
        report.Figure("host_back_s", Stats.Median(comebacks), 2);
        report.Figure("host_back_max_s", comebacks.Max(), 2);
    }

    private static async Task SeedAsync(ClaimStoreCluster cluster, int round, int step)
    {
        var actor = $"kit-{round}-{step}";
        await cluster.ImportAsync(Enumerable.Range(0, 50).Select(n => new
        {
            actorId = actor,
            subject = actor,
            predicate = "counts",
            @object = $"item-{n}",
            stance = "affirms",
            statedAt = "2024-12-04T10:00:00Z",
        }));
    }
}

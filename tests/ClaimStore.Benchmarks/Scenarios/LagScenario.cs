using System.Diagnostics;
using System.Net;
using ClaimStore.Benchmarks.Infrastructure;

namespace ClaimStore.Benchmarks.Scenarios;

/// <summary>
/// lag: the time from the acknowledgement of a POST that creates a contradiction to the first
/// GET /contradictions answer that shows it, under a steady 1,000 claims/s of background writes
/// (open loop, 1,000 actors chosen Zipf-like). Baseline: the same probes with no background writes.
/// A probe: actor probe-a affirms a fresh proposition, then probe-b denies it; the clock starts when
/// the denial's 201 arrives and stops when GET /contradictions?propositionKey=… lists the contradiction.
/// The same probes time the live feeds, open all along: from the denial's 201 to its message on
/// GET /events/stream?actorId=probe-b, and to the contradiction-opened message on GET /contradictions/stream.
/// </summary>
public static class LagScenario
{
    private const int Actors = 1000;
    private const int Propositions = 50_000;
    private const double BackgroundRate = 1000;
    private const int MaxInFlight = 256;

    public static async Task RunAsync(BenchContext context)
    {
        var options = context.Options;
        var report = context.Report;
        var loaded = TimeSpan.FromSeconds(options.Pick(3, 15));
        var idle = TimeSpan.FromSeconds(options.Pick(2, 6));
        var backgroundWarmup = TimeSpan.FromSeconds(options.Pick(1, 2));

        var connectionString = await context.CreateDatabaseAsync("lag");
        await using var host = await HostProcess.StartAsync(connectionString, context.LogPath("host"));
        using var client = host.CreateClient(MaxInFlight + 8);
        using var probeClient = host.CreateClient(4);
        var actorIds = Enumerable.Range(0, Actors).Select(i => $"actor-{i:D4}").ToArray();
        await StoreApi.RegisterActorsAsync(client, [.. actorIds, "probe-a", "probe-b"]);
        await using var feeds = new Feeds(
            await FeedWatch.OpenAsync(host.BaseAddress, "events/stream?actorId=probe-b"),
            await FeedWatch.OpenAsync(host.BaseAddress, "contradictions/stream?actorId=probe-b"));
        var zipf = new Zipf(Actors, 1.1);
        Report.Note($"background: {BackgroundRate} claims/s open loop (at most {MaxInFlight} in flight) over {Actors} actors, Zipf s=1.1; "
            + $"{options.Rounds} rounds of {loaded.TotalSeconds} s under load and {idle.TotalSeconds} s idle");

        var probeNumber = 0;
        var loadedRounds = new List<Lags>();
        var idleRounds = new List<Lags>();
        var backgroundRates = new List<double>();
        var backgroundP99 = new List<double>();
        for (var round = 0; round < options.Rounds; round++)
        {
            using (var stop = new CancellationTokenSource())
            {
                var background = RunBackgroundAsync(client, actorIds, zipf, round, stop.Token);
                await Task.Delay(backgroundWarmup);
                var lags = await ProbeAsync(probeClient, feeds, loaded - backgroundWarmup, () => probeNumber++, report);
                await stop.CancelAsync();
                var (rate, p99, errors) = await background;
                report.CountErrors(errors, "background appends");
                loadedRounds.Add(lags);
                backgroundRates.Add(rate);
                backgroundP99.Add(p99);
                Report.Note($"round {round + 1} loaded: {lags.Describe()}; background {rate:F0} claims/s, append p99 {p99:F1} ms");
            }

            var quiet = await ProbeAsync(probeClient, feeds, idle, () => probeNumber++, report);
            idleRounds.Add(quiet);
            Report.Note($"round {round + 1} idle:   {quiet.Describe()}");
        }

        foreach (var (name, rounds) in new[] { ("loaded", loadedRounds), ("idle", idleRounds) })
        {
            foreach (var p in new[] { 50, 95, 99 })
            {
                report.Figure($"{name}.p{p}_ms", Stats.Median(rounds.Select(r => Stats.Percentile(r.Poll, p))), 1);
            }

            foreach (var p in new[] { 50, 95 })
            {
                report.Figure($"{name}.event_feed.p{p}_ms", Stats.Median(rounds.Select(r => Stats.Percentile(r.EventFeed, p))), 1);
                report.Figure($"{name}.contradiction_feed.p{p}_ms", Stats.Median(rounds.Select(r => Stats.Percentile(r.ContradictionFeed, p))), 1);
            }

            report.Figure($"{name}.probes", rounds.Sum(r => r.Poll.Length), 0);
        }

        report.Figure("background.claims_per_s", Stats.Median(backgroundRates), 0);
        report.Figure("background.append_p99_ms", Stats.Median(backgroundP99), 1);
        await using (var database = new Npgsql.NpgsqlDataSourceBuilder(connectionString).Build())
        {
            report.Figure("background.claims_per_commit", await AppendScenario.ClaimsPerCommitAsync(database), 1);
        }

        report.Ratio("ratio_loaded_vs_idle_p95",
            Stats.Median(loadedRounds.Select(r => Stats.Percentile(r.Poll, 95))) / Stats.Median(idleRounds.Select(r => Stats.Percentile(r.Poll, 95))),
            main: true);
        Report.Note("targets under load: event feed p95 ≤ 100 ms, contradiction feed p95 ≤ 250 ms");
    }

    private sealed record Feeds(FeedWatch Events, FeedWatch Contradictions) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Events.DisposeAsync();
            await Contradictions.DisposeAsync();
        }
    }

    /// <summary>One run of probes: milliseconds from the denial's 201 to the poll that saw it and to each feed's message, each sorted.</summary>
    private sealed record Lags(double[] Poll, double[] EventFeed, double[] ContradictionFeed)
    {
        public string Describe() =>
            $"{Poll.Length} probes, poll p50 {Stats.Percentile(Poll, 50):F1} ms, p95 {Stats.Percentile(Poll, 95):F1} ms, p99 {Stats.Percentile(Poll, 99):F1} ms; "
            + $"event feed p95 {Stats.Percentile(EventFeed, 95):F1} ms; contradiction feed p95 {Stats.Percentile(ContradictionFeed, 95):F1} ms";
    }

    /// <summary>Probes one after another for <paramref name="duration"/>.</summary>
    private static async Task<Lags> ProbeAsync(HttpClient client, Feeds feeds, TimeSpan duration, Func<int> next, Report report)
    {
        var lags = new List<double>();
        var (eventLags, contradictionLags) = (new List<double>(), new List<double>());
        var until = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < until)
        {
            var n = next();
            var statedAt = ClaimData.Year.AddMinutes(n);
            var affirm = ClaimData.Fixed(0, affirms: true, statedAt);
            var deny = ClaimData.Fixed(0, affirms: false, statedAt);
            var subject = $"probe-{n}";
            var key = $"{subject}:{affirm.Predicate}:{affirm.Object}";
            using (var first = await client.PostAsync("actors/probe-a/claims", StoreApi.JsonContent(ClaimData.Json(affirm, subject: subject))))
            {
                if (first.StatusCode != HttpStatusCode.Created)
                {
                    report.CountErrors(1, $"probe affirm answered {(int)first.StatusCode}");
                    continue;
                }
            }

            // Armed before the denial: its message may arrive before its 201 does.
            var denialSent = feeds.Events.Arm($"\"{subject}\"", "ClaimRecorded");
            var contradictionSent = feeds.Contradictions.Arm($"\"{key}\"", "contradiction-opened");
            using (var second = await client.PostAsync("actors/probe-b/claims", StoreApi.JsonContent(ClaimData.Json(deny, subject: subject))))
            {
                if (second.StatusCode != HttpStatusCode.Created)
                {
                    report.CountErrors(1, $"probe denial answered {(int)second.StatusCode}");
                    continue;
                }
            }

            var acknowledged = Stopwatch.GetTimestamp();
            var seen = false;
            for (var attempt = 0; attempt < 2000 && !seen; attempt++)
            {
                using var response = await client.GetAsync($"contradictions?propositionKey={key}");
                var body = await response.Content.ReadAsStringAsync();
                seen = response.IsSuccessStatusCode && body.Contains("opposing-stances", StringComparison.Ordinal);
                if (!seen)
                {
                    await Task.Delay(5);
                }
            }

            if (!seen)
            {
                report.CountErrors(1, $"the contradiction on {key} never appeared");
                continue;
            }

            lags.Add(Stopwatch.GetElapsedTime(acknowledged).TotalMilliseconds);
            foreach (var (sent, into, feed) in new[] { (denialSent, eventLags, "event"), (contradictionSent, contradictionLags, "contradiction") })
            {
                if (await Task.WhenAny(sent, Task.Delay(TimeSpan.FromSeconds(5))) != sent)
                {
                    report.CountErrors(1, $"the {feed} feed never sent probe {n}");
                    continue;
                }

                into.Add(Math.Max(0, Stopwatch.GetElapsedTime(acknowledged, await sent).TotalMilliseconds));
            }

            await Task.Delay(20);
        }

        return new Lags([.. lags.Order()], [.. eventLags.Order()], [.. contradictionLags.Order()]);
    }

    /// <summary>Open-loop writes at <see cref="BackgroundRate"/> until stopped; returns the achieved rate, the append p99 and the failures.</summary>
    private static async Task<(double Rate, double P99, long Errors)> RunBackgroundAsync(
        HttpClient client, string[] actorIds, Zipf zipf, int round, CancellationToken stop)
    {
        var random = new Random(1000 + round);
        var slots = new SemaphoreSlim(MaxInFlight);
        var latencies = new List<double>();
        long errors = 0, issued = 0;
        var watch = Stopwatch.StartNew();
        while (!stop.IsCancellationRequested)
        {
            var due = (long)(watch.Elapsed.TotalSeconds * BackgroundRate);
            while (issued < due && !stop.IsCancellationRequested)
            {
                await slots.WaitAsync(CancellationToken.None);
                issued++;
                var body = ClaimData.Json(ClaimData.Random(random, Propositions));
                var actor = actorIds[zipf.Next(random)];
                _ = Task.Run(async () =>
                {
                    var t0 = Stopwatch.GetTimestamp();
                    try
                    {
                        using var response = await client.PostAsync($"actors/{actor}/claims", StoreApi.JsonContent(body));
                        var ms = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
                        lock (latencies)
                        {
                            if (response.StatusCode == HttpStatusCode.Created)
                            {
                                latencies.Add(ms);
                            }
                            else
                            {
                                errors++;
                            }
                        }
                    }
                    catch (HttpRequestException)
                    {
                        Interlocked.Increment(ref errors);
                    }
                    finally
                    {
                        slots.Release();
                    }
                }, CancellationToken.None);
            }

            try
            {
                await Task.Delay(2, stop);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        var elapsed = watch.Elapsed.TotalSeconds;
        for (var i = 0; i < MaxInFlight; i++)
        {
            await slots.WaitAsync(CancellationToken.None);
        }

        double[] sorted;
        lock (latencies)
        {
            sorted = [.. latencies.Order()];
        }

        return (sorted.Length / elapsed, Stats.Percentile(sorted, 99), errors);
    }
}

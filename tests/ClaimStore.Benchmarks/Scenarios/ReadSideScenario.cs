using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using ClaimStore.Benchmarks.Infrastructure;

namespace ClaimStore.Benchmarks.Scenarios;

/// <summary>
/// readside: the read side after a restart. Claims shaped like the rebuild scenario's (same generator and seed; 1,000,000
/// across 10,000 actors at full size) go in through one host, which is then stopped and started again, round after
/// round. Each round times the start until <c>/health</c> answers (the baseline: nothing of the read side is needed for
/// it) and until the read side answers (<c>GET /contradictions</c> and <c>GET /propositions/{key}</c> of one contested
/// proposition), then reads the whole lists (<c>GET /contradictions?status=open</c>, <c>GET /propositions</c>), times
/// them, and checks that every answer is what it was before the restart. It prints the host's memory right after the
/// ingest and after each start.
/// </summary>
public static class ReadSideScenario
{
    private static readonly TimeSpan AnswerTimeout = TimeSpan.FromMinutes(5);

    public static async Task RunAsync(BenchContext context)
    {
        var options = context.Options;
        var report = context.Report;
        var actors = options.Pick(100, 10_000);
        var claims = options.Pick(5_000, 1_000_000);
        var propositions = claims / 2;
        var rounds = options.RoundsOr(3);

        var connectionString = await context.CreateDatabaseAsync("readside");
        string before, key;
        var host = await HostProcess.StartAsync(connectionString, context.LogPath("host"));
        try
        {
            using var client = host.CreateClient(16);
            var actorIds = Enumerable.Range(0, actors).Select(i => $"actor-{i:D5}").ToArray();
            await StoreApi.RegisterActorsAsync(client, actorIds);
            var random = new Random(7);
            var items = Enumerable.Range(0, claims).Select(_ => (actorIds[random.Next(actors)], ClaimData.Random(random, propositions)));
            Report.Note($"ingesting {claims:N0} claims across {actors:N0} actors over {propositions:N0} propositions through POST /claims/batch…");
            var watch = Stopwatch.StartNew();
            await StoreApi.IngestAsync(client, items, 1000, 4);
            report.Figure("ingest.claims_per_s", claims / watch.Elapsed.TotalSeconds, 0);
            await StoreApi.WaitForReadSideAsync(client, AnswerTimeout);
            report.Figure("ingest.read_side_caught_up_seconds", watch.Elapsed.TotalSeconds, 1);
            var (rss, peak) = host.Memory();
            report.Figure("memory.host_rss_mib", rss, 0);
            report.Figure("memory.host_peak_rss_mib", peak, 0);
            var (heap, committed) = await host.GcMemoryAsync(client);
            report.Figure("memory.gc_heap_mib", heap, 0);
            report.Figure("memory.gc_committed_mib", committed, 0);
            var contested = JsonNode.Parse(await client.GetStringAsync("contradictions?status=open"))!.AsArray();
            report.Figure("contradictions_open", contested.Count, 0);
            key = (string)contested[contested.Count / 2]!["propositionKey"]!;
            before = await AnswersAsync(client, key);
        }
        finally
        {
            await host.DisposeAsync();
        }

        var healthy = new List<double>();
        var answered = new List<double>();
        var lists = new List<double>();
        var mismatches = 0;
        for (var round = 0; round < rounds; round++)
        {
            var watch = Stopwatch.StartNew();
            await using var restarted = await HostProcess.StartAsync(connectionString, context.LogPath("host"));
            healthy.Add(watch.Elapsed.TotalSeconds);
            using var client = restarted.CreateClient(4);
            var refused = await UntilAnsweredAsync(client, key);
            answered.Add(watch.Elapsed.TotalSeconds);
            var listed = Stopwatch.StartNew();
            var after = await AnswersAsync(client, key);
            lists.Add(listed.Elapsed.TotalSeconds);
            mismatches += after == before ? 0 : 1;
            Report.Note($"round {round + 1}: healthy after {healthy[^1]:F2} s, the read side answered after {answered[^1]:F2} s "
                + $"({refused} refusals before), the whole lists read in {lists[^1]:F2} s, host RSS {restarted.Memory().RssMiB:F0} MiB (GC heap {(await restarted.GcMemoryAsync(client)).HeapMiB:F0}), "
                + $"answers {(after == before ? "as before" : "DIFFERENT")}");
        }

        report.CountErrors(mismatches, $"{mismatches} restarts answered differently from the host before them");
        report.Figure("answers_match", mismatches == 0 ? 1 : 0, 0);
        report.Figure("restart.healthy_seconds", Stats.Median(healthy), 2);
        report.Figure("restart.answered_seconds", Stats.Median(answered), 2);
        report.Figure("lists_seconds", Stats.Median(lists), 2);
        report.Ratio("answered_vs_healthy", Stats.Median(answered) / Stats.Median(healthy), main: true);
    }

    /// <summary>Polls the read side until both of its answers on <paramref name="key"/> are 200; returns how many were refusals (503) first.</summary>
    private static async Task<int> UntilAnsweredAsync(HttpClient client, string key)
    {
        var refused = 0;
        var until = DateTime.UtcNow + AnswerTimeout;
        foreach (var path in new[] { $"contradictions?propositionKey={key}", $"propositions/{key}" })
        {
            while (true)
            {
                using var response = await client.GetAsync(path);
                if (response.IsSuccessStatusCode)
                {
                    break;
                }

                if (response.StatusCode != HttpStatusCode.ServiceUnavailable || DateTime.UtcNow > until)
                {
                    throw new InvalidOperationException($"GET /{path} answered {(int)response.StatusCode} after a restart.");
                }

                refused++;
                await Task.Delay(50);
            }
        }

        return refused;
    }

    /// <summary>The open contradictions, the propositions, and the contested one's detail, as the host answers them.</summary>
    private static async Task<string> AnswersAsync(HttpClient client, string key) =>
        await client.GetStringAsync("contradictions?status=open") + "\n" + await client.GetStringAsync("propositions")
        + "\n" + await client.GetStringAsync($"propositions/{key}");
}

using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ClaimStore.Benchmarks.Infrastructure;

namespace ClaimStore.Benchmarks.Scenarios;

/// <summary>
/// readside: the read side after a restart. Claims shaped like the rebuild scenario's (same generator and seed; 1,000,000
/// across 10,000 actors at full size, or <c>--claims N</c>) go in through one host, which is then stopped and started
/// again, round after round. Each round times the start until <c>/health</c> answers (the baseline: nothing of the read
/// side is needed for it) and until every read endpoint answers (contradictions and the detail of one contested
/// proposition, an actor's positions and timeline, a search), then reads the whole lists (<c>GET
/// /contradictions?status=open</c>, <c>GET /propositions</c>), times them, and checks that every answer has the bytes
/// it had before the restart (compared by hash, so ten million claims' lists need not fit in memory). It prints the
/// host's memory right after the ingest and after each start.
/// </summary>
public static class ReadSideScenario
{
    private static readonly TimeSpan AnswerTimeout = TimeSpan.FromMinutes(5);

    public static async Task RunAsync(BenchContext context)
    {
        var options = context.Options;
        var report = context.Report;
        var actors = options.Pick(100, 10_000);
        var claims = options.ClaimsOr(5_000, 1_000_000);
        var propositions = claims / 2;
        var rounds = options.RoundsOr(3);

        var actorIds = Enumerable.Range(0, actors).Select(i => $"actor-{i:D5}").ToArray();
        var connectionString = await context.CreateDatabaseAsync("readside");
        var cluster = ClusterSettings(options.Hosts);
        string before, key;
        var hosts = await StartHostsAsync(context, connectionString, options.Hosts, cluster);
        try
        {
            using var client = StoreApi.CreateClient([.. hosts.Select(h => h.BaseAddress)], 16);
            await StoreApi.RegisterActorsAsync(client, actorIds);
            var random = new Random(7);
            var items = Enumerable.Range(0, claims).Select(_ => (actorIds[random.Next(actors)], ClaimData.Random(random, propositions)));
            Report.Note($"ingesting {claims:N0} claims across {actors:N0} actors over {propositions:N0} propositions through POST /claims/batch"
                + (hosts.Count > 1 ? $", batches spread over {hosts.Count} hosts of one cluster…" : "…"));
            var watch = Stopwatch.StartNew();
            await StoreApi.IngestAsync(client, items, 1000, 4);
            report.Figure("ingest.claims_per_s", claims / watch.Elapsed.TotalSeconds, 0);
            // The followers fold at a few thousand events a second: a larger store gives them longer.
            var catchUp = TimeSpan.FromSeconds(Math.Max(AnswerTimeout.TotalSeconds, claims / 1_000.0));
            await StoreApi.WaitForReadSideAsync(client, catchUp);
            report.Figure("ingest.read_side_caught_up_seconds", watch.Elapsed.TotalSeconds, 1);
            await StoreApi.WaitForSearchIndexAsync(client, catchUp);
            report.Figure("ingest.search_index_caught_up_seconds", watch.Elapsed.TotalSeconds, 1);
            await MemoryFiguresAsync(report, hosts);
            (var open, key) = await CountOpenAsync(client);
            report.Figure("contradictions_open", open, 0);
            using var first = hosts[0].CreateClient(4);
            before = await AnswersAsync(first, key);
        }
        finally
        {
            await Task.WhenAll(hosts.Select(h => h.DisposeAsync().AsTask()));
        }

        var healthy = new List<double>();
        var answered = new List<double>();
        var lists = new List<double>();
        var mismatches = 0;
        for (var round = 0; round < rounds; round++)
        {
            var watch = Stopwatch.StartNew();
            var restarted = await StartHostsAsync(context, connectionString, options.Hosts, cluster);
            try
            {
                healthy.Add(watch.Elapsed.TotalSeconds);
                var clients = restarted.Select(h => h.CreateClient(4)).ToArray();
                var refused = (await Task.WhenAll(clients.Select(c => UntilAnsweredAsync(c, key, actorIds[0])))).Sum();
                answered.Add(watch.Elapsed.TotalSeconds);
                var listed = Stopwatch.StartNew();
                var after = await Task.WhenAll(clients.Select(c => AnswersAsync(c, key)));
                lists.Add(listed.Elapsed.TotalSeconds);
                var differing = after.Count(a => a != before);
                mismatches += differing;
                var memory = await Task.WhenAll(restarted.Select(async (h, i) => $"{h.Memory().RssMiB:F0} MiB (GC heap {(await h.GcMemoryAsync(clients[i])).HeapMiB:F0})"));
                Report.Note($"round {round + 1}: healthy after {healthy[^1]:F2} s, every read endpoint answered after {answered[^1]:F2} s "
                    + $"({refused} refusals before), the whole lists read in {lists[^1]:F2} s, host RSS {string.Join(", ", memory)}, "
                    + $"answers {(differing == 0 ? "as before" : "DIFFERENT")}");
                Array.ForEach(clients, c => c.Dispose());
            }
            finally
            {
                await Task.WhenAll(restarted.Select(h => h.DisposeAsync().AsTask()));
            }
        }

        report.CountErrors(mismatches, $"{mismatches} restarted hosts answered differently from the hosts before them");
        report.Figure("answers_match", mismatches == 0 ? 1 : 0, 0);
        report.Figure("restart.healthy_seconds", Stats.Median(healthy), 2);
        report.Figure("restart.answered_seconds", Stats.Median(answered), 2);
        report.Figure("lists_seconds", Stats.Median(lists), 2);
        report.Ratio("answered_vs_healthy", Stats.Median(answered) / Stats.Median(healthy), main: true);
    }

    /// <summary>With more than one host, the settings that make them one cluster over the benchmark's database.</summary>
    private static Dictionary<string, string>? ClusterSettings(int hosts)
    {
        if (hosts == 1)
        {
            return null;
        }

        var id = $"readside-{Guid.NewGuid():N}"[..21];
        return new Dictionary<string, string>
        {
            ["Orleans:ClusteringMode"] = "postgres",
            ["Orleans:ClusterId"] = id,
            ["Orleans:ServiceId"] = id,
            ["Orleans:AdvertisedIP"] = "127.0.0.1",
        };
    }

    /// <summary>The first host alone (it creates or checks the schema), then the others together.</summary>
    private static async Task<List<HostProcess>> StartHostsAsync(
        BenchContext context, string connectionString, int count, Dictionary<string, string>? cluster)
    {
        var hosts = new List<HostProcess> { await HostProcess.StartAsync(connectionString, context.LogPath("host"), cluster) };
        hosts.AddRange(await Task.WhenAll(Enumerable.Range(1, count - 1)
            .Select(i => HostProcess.StartAsync(connectionString, context.LogPath($"host{i}"), cluster))));
        return hosts;
    }

    /// <summary>Each host's memory; with several hosts also the largest, which is what a host must be sized for.</summary>
    private static async Task MemoryFiguresAsync(Report report, IReadOnlyList<HostProcess> hosts)
    {
        var figures = new List<(double Rss, double Peak, double Heap, double Committed)>();
        foreach (var host in hosts)
        {
            using var client = host.CreateClient(1);
            var (rss, peak) = host.Memory();
            var (heap, committed) = await host.GcMemoryAsync(client);
            figures.Add((rss, peak, heap, committed));
        }

        for (var i = 0; hosts.Count > 1 && i < hosts.Count; i++)
        {
            report.Figure($"memory.host{i}_rss_mib", figures[i].Rss, 0);
            report.Figure($"memory.host{i}_peak_rss_mib", figures[i].Peak, 0);
            report.Figure($"memory.host{i}_gc_heap_mib", figures[i].Heap, 0);
        }

        report.Figure("memory.host_rss_mib", figures.Max(f => f.Rss), 0);
        report.Figure("memory.host_peak_rss_mib", figures.Max(f => f.Peak), 0);
        report.Figure("memory.gc_heap_mib", figures.Max(f => f.Heap), 0);
        report.Figure("memory.gc_committed_mib", figures.Max(f => f.Committed), 0);
    }

    /// <summary>
    /// Polls every read endpoint until it answers 200; returns how many refusals (503) came first. Positions and the
    /// timeline come from the actor's grain, the rest from the read side's tables and the search index.
    /// </summary>
    private static async Task<int> UntilAnsweredAsync(HttpClient client, string key, string actorId)
    {
        var refused = 0;
        var until = DateTime.UtcNow + AnswerTimeout;
        string[] paths =
        [
            $"contradictions?propositionKey={key}", $"propositions/{key}", $"actors/{actorId}/positions",
            $"actors/{actorId}/timeline", "claims?q=nothing&limit=1",
        ];
        foreach (var path in paths)
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

    /// <summary>How many contradictions are open, and the proposition of one of them (the 1,000th, or the last), read as the list streams.</summary>
    private static async Task<(int Open, string Key)> CountOpenAsync(HttpClient client)
    {
        await using var body = await client.GetStreamAsync("contradictions?status=open");
        var open = 0;
        string? key = null;
        await foreach (var contradiction in JsonSerializer.DeserializeAsyncEnumerable<JsonElement>(body))
        {
            if (open++ <= 1_000)
            {
                key = contradiction.GetProperty("propositionKey").GetString();
            }
        }

        return (open, key ?? throw new InvalidOperationException("No contradiction is open: the scenario needs one."));
    }

    /// <summary>
    /// The open contradictions, the propositions, and the contested one's detail, as the host answers them: each body's
    /// length and SHA-256, hashed as it streams.
    /// </summary>
    private static async Task<string> AnswersAsync(HttpClient client, string key)
    {
        var answers = new StringBuilder();
        foreach (var path in new[] { "contradictions?status=open", "propositions", $"propositions/{key}" })
        {
            using var response = await client.GetAsync(path, HttpCompletionOption.ResponseHeadersRead);
            response.EnsureSuccessStatusCode();
            await using var body = await response.Content.ReadAsStreamAsync();
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var buffer = new byte[1 << 16];
            long length = 0;
            int read;
            while ((read = await body.ReadAsync(buffer)) > 0)
            {
                hash.AppendData(buffer, 0, read);
                length += read;
            }

            answers.Append(CultureInfo.InvariantCulture, $"{path}: {length} bytes, {Convert.ToHexString(hash.GetHashAndReset())}\n");
        }

        return answers.ToString();
    }
}

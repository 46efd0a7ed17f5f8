using System.Net;
using System.Text.Json;
using ClaimStore.Benchmarks.Infrastructure;

namespace ClaimStore.Benchmarks.Scenarios;

/// <summary>
/// ui: each workbench page's time, side by side with the JSON endpoint that serves the same data, one request
/// at a time from one client on loopback (so the latency is the host's time plus a loopback round trip).
/// Issue 17's targets: p95 at most 50 ms with the sample (the Development seed data, <c>sample.*</c> figures),
/// 300 ms with 1,000 actors and 100,000 claims. Smoke: 50 actors, 1,000 claims.
/// <c>--only sample</c> or <c>--only loaded</c> runs one of the two.
/// </summary>
public static class UiScenario
{
    public static async Task RunAsync(BenchContext context)
    {
        if (context.Options.Only is null or "sample")
        {
            await RunSampleAsync(context);
        }

        if (context.Options.Only is null or "loaded")
        {
            await RunLoadedAsync(context);
        }
    }

    /// <summary>The host as a developer first sees it: the sample loaded on start, nothing else.</summary>
    private static async Task RunSampleAsync(BenchContext context)
    {
        var requests = context.Options.Pick(20, 200);
        var connectionString = await context.CreateDatabaseAsync("ui_sample");
        await using var host = await HostProcess.StartAsync(
            connectionString, context.LogPath("host-sample"), new Dictionary<string, string> { ["Sample:LoadOnStart"] = "true" });
        using var client = host.CreateClient(8);
        var expected = JsonDocument.Parse(await File.ReadAllTextAsync(SamplePath)).RootElement.GetProperty("claims").GetArrayLength();
        var actors = await WaitForClaimsAsync(client, expected, TimeSpan.FromMinutes(2));
        await StoreApi.WaitForReadSideAsync(client, TimeSpan.FromMinutes(2));
        var actor = actors.MaxBy(a => a.Claims).ActorId;
        using var claims = JsonDocument.Parse(await client.GetStringAsync("claims?limit=500"));
        var proposition = claims.RootElement.GetProperty("claims").EnumerateArray()
            .GroupBy(c => c.GetProperty("propositionKey").GetString()!).MaxBy(g => g.Count())!.Key;
        var (last, lastProposition) = await LastEventAsync(client, 0);
        var contradictions = JsonDocument.Parse(await client.GetStringAsync("contradictions")).RootElement.GetArrayLength();
        context.Report.Figure("sample.contradictions", contradictions, 0);
        Report.Note($"sample: {actors.Count} actors, {expected} claims, {last} events, {contradictions} contradictions; "
            + $"{requests} requests per path after 5 unmeasured, one at a time; actor {actor}, proposition {proposition}");
        await MeasurePairsAsync(context.Report, client, "sample.", requests, Pairs(actor, proposition, "Drohnen", last, lastProposition));
    }

    private static async Task RunLoadedAsync(BenchContext context)
    {
        var options = context.Options;
        var report = context.Report;
        var actors = options.Pick(50, 1000);
        var claims = options.Pick(1_000, 100_000);
        var propositions = options.Pick(200, 20_000);
        var requests = options.Pick(20, 200);

        var connectionString = await context.CreateDatabaseAsync("ui");
        await using var host = await HostProcess.StartAsync(connectionString, context.LogPath("host"));
        using var client = host.CreateClient(8);
        var actorIds = Enumerable.Range(0, actors).Select(i => $"actor-{i:D4}").ToArray();
        await StoreApi.RegisterActorsAsync(client, actorIds);
        var seed = new Random(17);
        var specs = Enumerable.Range(0, claims).Select(_ => (actorIds[seed.Next(actors)], ClaimData.Random(seed, propositions))).ToList();
        await StoreApi.IngestAsync(client, specs, 1000, 2);
        await StoreApi.WaitForReadSideAsync(client, TimeSpan.FromMinutes(2));
        var contradictions = JsonDocument.Parse(await client.GetStringAsync("contradictions")).RootElement.GetArrayLength();
        report.Figure("contradictions", contradictions, 0);

        // The most claimed-about proposition and actor: the pages' heaviest case among those of their kind.
        var proposition = specs.GroupBy(s => s.Item2.PropositionKey).MaxBy(g => g.Count())!.Key;
        var actor = specs.GroupBy(s => s.Item1).MaxBy(g => g.Count())!.Key;
        // The replay's last step: the one the former replay read the whole log for.
        var (last, lastProposition) = await LastEventAsync(client, Math.Max(0, actors + claims - 100));
        Report.Note($"{actors:N0} actors, {claims:N0} claims over {propositions:N0} propositions, {contradictions:N0} contradictions; "
            + $"{requests} requests per path after 5 unmeasured, one at a time; actor {actor}, proposition {proposition}; replay step {last}");
        await MeasurePairsAsync(report, client, "", requests, Pairs(actor, proposition, "spokesperson", last, lastProposition));
    }

    private static (string Page, string PagePath, string JsonPath)[] Pairs(
        string actor, string proposition, string words, long step, string? stepProposition) =>
    [
        ("overview", "", "actors"),
        ("actor", $"ui/actors/{actor}", $"actors/{actor}/timeline"),
        ("actor_asof", $"ui/actors/{actor}?asOf=2024-06-30T00:00", $"actors/{actor}/positions?asOf=2024-06-30T00:00:00Z"),
        ("proposition", $"ui/propositions/{proposition}", $"propositions/{proposition}"),
        ("contradictions", "ui/contradictions?status=open", "contradictions?status=open"),
        ("history", "ui/history?afterSequence=0", "events?afterSequence=0&limit=50"),
        // The step's event, with the contradictions of its proposition: what the replay shows beside the log.
        ("replay", $"ui/history?afterSequence=0&step={step}",
            stepProposition is null ? $"events?afterSequence={step - 1}&limit=1" : $"contradictions?propositionKey={stepProposition}"),
        ("search", $"ui/search?q={words}", $"claims?q={words}"),
    ];

    private static async Task MeasurePairsAsync(
        Report report, HttpClient client, string prefix, int requests, (string Page, string PagePath, string JsonPath)[] pairs)
    {
        foreach (var (page, pagePath, jsonPath) in pairs)
        {
            var html = await MeasureAsync(client, pagePath, requests);
            var json = await MeasureAsync(client, jsonPath, requests);
            report.CountErrors(html.Errors, $"GET /{pagePath}: {html.FirstError}");
            report.CountErrors(json.Errors, $"GET /{jsonPath}: {json.FirstError}");
            report.Figure($"{prefix}{page}.page_p95_ms", html.P(95), 2);
            report.Figure($"{prefix}{page}.json_p95_ms", json.P(95), 2);
            report.Figure($"{prefix}{page}.page_kib", await SizeAsync(client, pagePath) / 1024.0, 1);
            Report.Note($"{prefix}{page,-15} page p50 {html.P(50),7:F2} ms p95 {html.P(95),7:F2} ms | json p50 {json.P(50),7:F2} ms p95 {json.P(95),7:F2} ms");
        }
    }

    private static string SamplePath => Path.Combine(Checkout.Root, "src", "ClaimStore.Api", "Sample", "nato-2024-12-04.json");

    /// <summary>Waits until the actors' claim counts add up to the sample's claims, and returns the actors with their counts.</summary>
    private static async Task<List<(string ActorId, int Claims)>> WaitForClaimsAsync(HttpClient client, int expected, TimeSpan timeout)
    {
        var until = DateTime.UtcNow + timeout;
        while (true)
        {
            using var actors = JsonDocument.Parse(await client.GetStringAsync("actors"));
            var counts = actors.RootElement.EnumerateArray()
                .Select(a => (a.GetProperty("actorId").GetString()!, a.GetProperty("claimCount").GetInt32())).ToList();
            if (counts.Sum(c => c.Item2) >= expected)
            {
                return counts;
            }

            if (DateTime.UtcNow > until)
            {
                throw new TimeoutException($"The sample was not loaded within {timeout}: {counts.Sum(c => c.Item2)} of {expected} claims.");
            }

            await Task.Delay(250);
        }
    }

    /// <summary>The log's last event after <paramref name="after"/>: its sequence and, for a recorded claim, its proposition key.</summary>
    private static async Task<(long Sequence, string? PropositionKey)> LastEventAsync(HttpClient client, long after)
    {
        (long, string?) last = (after, null);
        while (true)
        {
            using var page = JsonDocument.Parse(await client.GetStringAsync($"events?afterSequence={after}&limit=1000"));
            var events = page.RootElement.GetProperty("events");
            foreach (var e in events.EnumerateArray())
            {
                var key = e.GetProperty("data").TryGetProperty("claim", out var claim)
                    ? string.Join(':', new[] { "subject", "predicate", "object" }
                        .Select(n => claim.GetProperty("proposition").TryGetProperty(n, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null)
                        .OfType<string>())
                    : null;
                last = (e.GetProperty("sequence").GetInt64(), key);
            }

            if (events.GetArrayLength() < 1000)
            {
                return last;
            }

            after = page.RootElement.GetProperty("nextAfterSequence").GetInt64();
        }
    }

    private static Task<LoadResult> MeasureAsync(HttpClient client, string path, int count) =>
        Load.SequentialAsync(5, count, async _ =>
        {
            using var response = await client.GetAsync(path);
            await response.Content.ReadAsByteArrayAsync();
            return response.StatusCode == HttpStatusCode.OK;
        });

    private static async Task<int> SizeAsync(HttpClient client, string path) => (await client.GetByteArrayAsync(path)).Length;
}

using System.Net;
using System.Text.Json;
using ClaimStore.Benchmarks.Infrastructure;

namespace ClaimStore.Benchmarks.Scenarios;

/// <summary>
/// ui: each workbench page's time, side by side with the JSON endpoint that serves the same data, one request
/// at a time from one client on loopback (so the latency is the host's time plus a loopback round trip).
/// Issue 17's targets: p95 at most 50 ms with the sample, 300 ms with 1,000 actors, 100,000 claims and about
/// 2,000 contradictions. Smoke: 50 actors, 1,000 claims.
/// </summary>
public static class UiScenario
{
    public static async Task RunAsync(BenchContext context)
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
        Report.Note($"{actors:N0} actors, {claims:N0} claims over {propositions:N0} propositions, {contradictions:N0} contradictions; "
            + $"{requests} requests per path after 5 unmeasured, one at a time; actor {actor}, proposition {proposition}");

        (string Page, string PagePath, string JsonPath)[] pairs =
        [
            ("overview", "", "actors"),
            ("actor", $"ui/actors/{actor}", $"actors/{actor}/timeline"),
            ("actor_asof", $"ui/actors/{actor}?asOf=2024-06-30T00:00", $"actors/{actor}/positions?asOf=2024-06-30T00:00:00Z"),
            ("proposition", $"ui/propositions/{proposition}", $"propositions/{proposition}"),
            ("contradictions", "ui/contradictions?status=open", "contradictions?status=open"),
            ("history", "ui/history?afterSequence=0", "events?afterSequence=0&limit=50"),
            ("search", "ui/search?q=spokesperson", "claims?q=spokesperson"),
        ];
        foreach (var (page, pagePath, jsonPath) in pairs)
        {
            var html = await MeasureAsync(client, pagePath, requests);
            var json = await MeasureAsync(client, jsonPath, requests);
            report.CountErrors(html.Errors, $"GET /{pagePath}: {html.FirstError}");
            report.CountErrors(json.Errors, $"GET /{jsonPath}: {json.FirstError}");
            report.Figure($"{page}.page_p95_ms", html.P(95), 2);
            report.Figure($"{page}.json_p95_ms", json.P(95), 2);
            report.Figure($"{page}.page_kib", await SizeAsync(client, pagePath) / 1024.0, 1);
            Report.Note($"{page,-15} page p50 {html.P(50),7:F2} ms p95 {html.P(95),7:F2} ms | json p50 {json.P(50),7:F2} ms p95 {json.P(95),7:F2} ms");
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

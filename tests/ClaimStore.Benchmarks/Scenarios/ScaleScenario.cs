using System.Diagnostics;
using System.Net;
using ClaimStore.Benchmarks.Infrastructure;
using ClaimStore.Domain.Actors;
using Marten;
using Microsoft.Extensions.DependencyInjection;

namespace ClaimStore.Benchmarks.Scenarios;

/// <summary>
/// scale: one actor holding 10, 1,000 and 100,000 claims (over 100 propositions of its own). Per size:
/// the latency of one more append (one client, one claim at a time), the activation time (the host is
/// restarted every round; the first GET /actors/{id}/positions on the actor, less the first GET on a
/// fresh one-claim actor just before it), and GET …/positions?asOf= on the active actor. Baseline: a
/// plain Marten read of the whole stream, folded, in this process (what activation has to do at least).
/// </summary>
public static class ScaleScenario
{
    private const int PropositionsPerActor = 100;
    private const string AsOf = "2024-07-01T00:00:00Z";

    public static async Task RunAsync(BenchContext context)
    {
        var options = context.Options;
        var report = context.Report;
        int[] sizes = options.Pick<int[]>([10, 100, 1000], [10, 1000, 100_000]);
        var appends = options.Pick(20, 200);
        var queries = options.Pick(5, 50);

        var connectionString = await context.CreateDatabaseAsync("scale");
        var host = await HostProcess.StartAsync(connectionString, context.LogPath("host"));
        var tiny = Enumerable.Range(0, options.Rounds * (sizes.Length + 1)).Select(i => $"tiny-{i:D3}").ToArray();
        using (var client = host.CreateClient(8))
        {
            await StoreApi.RegisterActorsAsync(client, [.. sizes.Select(Actor), .. tiny]);
            var random = new Random(3);
            await StoreApi.IngestAsync(client, tiny.Select(id => (id, ClaimData.Random(random, PropositionsPerActor))), 1000, 1);
            foreach (var size in sizes)
            {
                var watch = Stopwatch.StartNew();
                await StoreApi.IngestAsync(client, Enumerable.Range(0, size).Select(_ => (Actor(size), ClaimData.Random(random, PropositionsPerActor))), 1000, 1);
                Report.Note($"{Actor(size)}: {size:N0} claims loaded in {watch.Elapsed.TotalSeconds:F1} s");
            }
        }

        await using var services = Stores.ClaimStoreServices(connectionString);
        var store = services.GetRequiredService<IDocumentStore>();
        var figures = sizes.ToDictionary(s => s, _ => new Dictionary<string, List<double>>());
        void Add(int size, string key, double value)
        {
            if (!figures[size].TryGetValue(key, out var list))
            {
                figures[size][key] = list = [];
            }

            list.Add(value);
        }

        await using (var warm = store.QuerySession())
        {
            // Marten's first read in this process pays for its start-up, not for the stream.
            await warm.Events.FetchStreamAsync(tiny[0]);
        }

        var nextTiny = 0;
        try
        {
            for (var round = 0; round < options.Rounds; round++)
            {
                // A fresh host: no actor is active.
                await host.DisposeAsync();
                host = await HostProcess.StartAsync(connectionString, context.LogPath("host"));
                using var client = host.CreateClient(8);
                await FirstGetAsync(client, tiny[nextTiny++]); // warms the request path and the activation code
                foreach (var size in sizes)
                {
                    var baseline = await FirstGetAsync(client, tiny[nextTiny++]);
                    var first = await FirstGetAsync(client, Actor(size));
                    Add(size, "first_get_ms", first);
                    Add(size, "activation_ms", Math.Max(0, first - baseline));
                    Report.Note($"round {round + 1} {Actor(size)}: first GET {first:F1} ms, on a one-claim actor {baseline:F1} ms");
                }

                var random = new Random(100 + round);
                foreach (var size in sizes)
                {
                    var actor = Actor(size);
                    var append = await Load.SequentialAsync(appends / 10, appends, async _ =>
                    {
                        using var response = await client.PostAsync(
                            $"actors/{actor}/claims", StoreApi.JsonContent(ClaimData.Json(ClaimData.Random(random, PropositionsPerActor))));
                        return response.StatusCode == HttpStatusCode.Created;
                    });
                    report.CountErrors(append.Errors, $"appends to {actor}: {append.FirstError}");
                    Add(size, "append_p50_ms", append.P(50));
                    Add(size, "append_p99_ms", append.P(99));

                    var asOf = await Load.SequentialAsync(2, queries, async _ =>
                    {
                        using var response = await client.GetAsync($"actors/{actor}/positions?asOf={AsOf}");
                        return response.StatusCode == HttpStatusCode.OK;
                    });
                    report.CountErrors(asOf.Errors, $"asOf queries on {actor}: {asOf.FirstError}");
                    Add(size, "asof_p50_ms", asOf.P(50));
                    Add(size, "asof_p99_ms", asOf.P(99));

                    var watch = Stopwatch.StartNew();
                    await using (var session = store.QuerySession())
                    {
                        var events = await session.Events.FetchStreamAsync(actor);
                        _ = ActorDecider.Fold(ActorState.Empty(actor), events.Select(e => (IActorEvent)e.Data));
                    }

                    Add(size, "marten_stream_read_ms", watch.Elapsed.TotalMilliseconds);
                    Report.Note($"round {round + 1} {actor}: append p50 {append.P(50):F1} ms p99 {append.P(99):F1} ms; "
                        + $"asOf p50 {asOf.P(50):F1} ms; Marten stream read + fold {watch.Elapsed.TotalMilliseconds:F1} ms");
                }
            }
        }
        finally
        {
            await host.DisposeAsync();
        }

        foreach (var size in sizes)
        {
            foreach (var (key, values) in figures[size])
            {
                report.Figure($"{size}.{key}", Stats.Median(values), 2);
            }
        }

        double Median(int size, string key) => Stats.Median(figures[size][key]);
        var (smallest, largest) = (sizes[0], sizes[^1]);
        report.Ratio("activation_vs_marten_stream_read", Median(largest, "activation_ms") / Median(largest, "marten_stream_read_ms"));
        report.Ratio($"append_p50_{largest}_vs_{smallest}", Median(largest, "append_p50_ms") / Median(smallest, "append_p50_ms"), main: true);
    }

    private static string Actor(int size) => $"scale-{size}";

    private static async Task<double> FirstGetAsync(HttpClient client, string actorId)
    {
        var watch = Stopwatch.StartNew();
        using var response = await client.GetAsync($"actors/{actorId}/positions");
        var body = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"GET /actors/{actorId}/positions answered {(int)response.StatusCode}: {body}");
        }

        return watch.Elapsed.TotalMilliseconds;
    }
}

using System.Diagnostics;
using System.Net;
using ClaimStore.Benchmarks.Infrastructure;

namespace ClaimStore.Benchmarks.Scenarios;

/// <summary>
/// search: GET /claims over a store of claims whose source titles hold four words each from a vocabulary
/// of 2,000, drawn Zipf-like (s = 1), so a two-word query finds from a handful to thousands of claims.
/// Once the index and the read side have caught up, queries one after another: <c>q</c> of two words (the
/// target: p99 ≤ 50 ms at 1,000,000 claims), the same with an actor filter, and, as the baseline side by
/// side, the same first page without <c>q</c>; each round notes its five slowest queries.
/// Then the index's cost to writes: claims appended in batches of 100 to a fresh store by a host that
/// indexes them and by one that does not (<c>Search:Indexing=false</c>), host and PostgreSQL CPU per claim
/// counted until the index has caught up (the target: at most 15 % more).
/// </summary>
public static class SearchScenario
{
    private const int Actors = 1000;
    private const int Propositions = 50_000;
    private const int Vocabulary = 2000;
    private const int BatchSize = 100;

    public static async Task RunAsync(BenchContext context)
    {
        var options = context.Options;
        var report = context.Report;
        var claims = options.Pick(5_000, 1_000_000);
        var queries = options.Pick(100, 2_000);
        var words = Words();
        var zipf = new Zipf(Vocabulary, 1.0);
        var actorIds = Enumerable.Range(0, Actors).Select(i => $"actor-{i:D4}").ToArray();

        var connectionString = await context.CreateDatabaseAsync("search");
        await using (var host = await HostProcess.StartAsync(connectionString, context.LogPath("host")))
        {
            using var client = host.CreateClient(16);
            await StoreApi.RegisterActorsAsync(client, actorIds);
            var watch = Stopwatch.StartNew();
            var random = new Random(42);
            var items = Enumerable.Range(0, claims).Select(i =>
                (actorIds[i % Actors], ClaimData.Random(random, Propositions) with { Title = Title(random, words, zipf) }));
            await StoreApi.IngestAsync(client, items, batchSize: 500, concurrency: 4,
                progress: done =>
                {
                    if (done % 100_000 == 0)
                    {
                        Report.Note($"ingested {done:N0} claims in {watch.Elapsed.TotalSeconds:F0} s");
                    }
                });
            await StoreApi.WaitForSearchIndexAsync(client, TimeSpan.FromMinutes(30));
            Report.Note($"{claims:N0} claims ingested and indexed in {watch.Elapsed.TotalSeconds:F0} s ({StoreApi.UnavailableAnswers} batches answered 503 and sent again); {Vocabulary} title words, four a claim, Zipf s=1");

            // The queries time the search, not its contention with a read side still folding the ingest on the same cores.
            await StoreApi.WaitForReadSideAsync(client, TimeSpan.FromMinutes(30));
            Report.Note($"the read side caught up {watch.Elapsed.TotalSeconds:F0} s after the ingest began");

            var results = new Dictionary<string, List<LoadResult>> { ["two_words"] = [], ["two_words_actor"] = [], ["listing"] = [] };
            for (var round = 0; round < options.Rounds; round++)
            {
                foreach (var name in BenchContext.Rotate([.. results.Keys], round))
                {
                    var picks = new Random(round + 1);
                    var slowest = new PriorityQueue<string, double>();
                    var result = await Load.SequentialAsync(queries / 10, queries, async i =>
                    {
                        var path = name switch
                        {
                            "two_words" => $"claims?q={words[zipf.Next(picks)]}+{words[zipf.Next(picks)]}",
                            "two_words_actor" => $"claims?q={words[zipf.Next(picks)]}+{words[zipf.Next(picks)]}&actorId={actorIds[picks.Next(Actors)]}",
                            _ => $"claims?actorId={actorIds[picks.Next(Actors)]}",
                        };
                        var started = Stopwatch.GetTimestamp();
                        var ok = await SearchAsync(client, path);
                        var milliseconds = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                        if (i >= 0)
                        {
                            slowest.Enqueue($"{path} {milliseconds:F1} ms", milliseconds); // warm-up queries are not timed
                        }

                        if (slowest.Count > 5)
                        {
                            slowest.Dequeue();
                        }

                        return ok;
                    });
                    report.CountErrors(result.Errors, $"search {name}: {result.FirstError}");
                    results[name].Add(result);
                    Report.Note($"round {round + 1} {name,-16}: {result.Describe("queries")}");
                    Report.Note($"  slowest: {string.Join(" · ", slowest.UnorderedItems.OrderByDescending(i => i.Priority).Select(i => i.Element))}");
                }
            }

            foreach (var (name, rounds) in results)
            {
                foreach (var p in new[] { 50, 95, 99 })
                {
                    report.Figure($"{name}.p{p}_ms", Stats.Median(rounds.Select(r => r.P(p))), 2);
                }
            }

            report.Ratio("ratio_two_words_vs_listing_p99",
                Stats.Median(results["two_words"].Select(r => r.P(99))) / Stats.Median(results["listing"].Select(r => r.P(99))), main: true);
            Report.Note("target: two_words p99 ≤ 50 ms at 1,000,000 claims");
        }

        await MeasureIndexCostAsync(context, words, zipf, actorIds);
    }

    /// <summary>Host and PostgreSQL CPU per appended claim, with the index kept and without, side by side.</summary>
    private static async Task MeasureIndexCostAsync(BenchContext context, string[] words, Zipf zipf, string[] actorIds)
    {
        var options = context.Options;
        var report = context.Report;
        var perVariant = options.Pick(2_000, 100_000);
        var costs = new Dictionary<string, List<double>> { ["indexed"] = [], ["not_indexed"] = [] };
        for (var round = 0; round < options.Rounds; round++)
        {
            foreach (var variant in BenchContext.Rotate([.. costs.Keys], round))
            {
                var indexed = variant == "indexed";
                var connectionString = await context.CreateDatabaseAsync($"search_{variant}");
                await using var host = await HostProcess.StartAsync(connectionString, context.LogPath($"host-{variant}"),
                    new Dictionary<string, string> { ["Search:Indexing"] = indexed ? "true" : "false" });
                using var client = host.CreateClient(8);
                await StoreApi.RegisterActorsAsync(client, actorIds);
                var random = new Random(7 + round);
                var items = Enumerable.Range(0, perVariant).Select(i =>
                    (actorIds[i % Actors], ClaimData.Random(random, Propositions) with { Title = Title(random, words, zipf) })).ToList();
                // Warms the host's JIT on a tenth of the claims, outside the measurement.
                var warm = perVariant / 10;
                await StoreApi.IngestAsync(client, items.Take(warm), BatchSize, concurrency: 4);
                await CaughtUpAsync(client, indexed);

                var meter = context.Meter(host);
                var before = meter.Take();
                await StoreApi.IngestAsync(client, items.Skip(warm), BatchSize, concurrency: 4);
                await CaughtUpAsync(client, indexed);
                var cpu = CpuMeter.Between(before, meter.Take());
                var microseconds = (cpu.HostSeconds + cpu.PostgresSeconds) * 1e6 / (perVariant - warm);
                costs[variant].Add(microseconds);
                Report.Note($"round {round + 1} {variant,-11}: {perVariant - warm:N0} claims in batches of {BatchSize}, {cpu.Seconds:F1} s, "
                    + $"host {cpu.HostSeconds * 1e6 / (perVariant - warm):F0} µs + PostgreSQL {cpu.PostgresSeconds * 1e6 / (perVariant - warm):F0} µs per claim");
            }
        }

        report.Figure("append.indexed.cpu_us_per_claim", Stats.Median(costs["indexed"]), 0);
        report.Figure("append.not_indexed.cpu_us_per_claim", Stats.Median(costs["not_indexed"]), 0);
        report.Ratio("ratio_append_cpu_indexed_vs_not", Stats.Median(costs["indexed"]) / Stats.Median(costs["not_indexed"]));
        Report.Note("target: the index adds at most 15 % to append CPU per claim (ratio ≤ 1.15)");
    }

    private static async Task<bool> SearchAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        await response.Content.ReadAsByteArrayAsync();
        return response.StatusCode == HttpStatusCode.OK;
    }

    /// <summary>Waits until the read side, and with <paramref name="indexed"/> the search index, hold every claim appended.</summary>
    private static async Task CaughtUpAsync(HttpClient client, bool indexed)
    {
        await StoreApi.WaitForReadSideAsync(client, TimeSpan.FromMinutes(5));
        if (indexed)
        {
            await StoreApi.WaitForSearchIndexAsync(client, TimeSpan.FromMinutes(5));
        }
    }

    /// <summary>Made-up words of two to four syllables, the same on every run.</summary>
    private static string[] Words()
    {
        string[] syllables = ["ka", "lo", "mi", "ren", "tu", "sa", "vor", "del", "pi", "nar", "zu", "ber", "qui", "om", "lex", "dra"];
        var random = new Random(2024);
        var words = new HashSet<string>(StringComparer.Ordinal);
        while (words.Count < Vocabulary)
        {
            var length = random.Next(2, 5);
            words.Add(string.Concat(Enumerable.Range(0, length).Select(_ => syllables[random.Next(syllables.Length)])));
        }

        return [.. words];
    }

    private static string Title(Random random, string[] words, Zipf zipf) =>
        string.Join(' ', Enumerable.Range(0, 4).Select(_ => words[zipf.Next(random)]));
}

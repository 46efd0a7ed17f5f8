using System.Net;
using ClaimStore.Benchmarks.Infrastructure;

namespace ClaimStore.Benchmarks.Scenarios;

/// <summary>
/// feeds: what open Server-Sent Events connections cost a host. 32 clients record claims for 1,000
/// actors (Zipf s = 1.1) with no feed open, and with 1,000 open: 500 on GET /events/stream, each
/// following one actor, and 500 on GET /contradictions/stream, each receiving every change, as
/// dashboards would. Side by side in rotating rounds on one host: claims/s and the host's resident
/// memory with the feeds open against without (the targets: at most 10 % fewer claims/s, at most 100 MiB).
/// </summary>
public static class FeedsScenario
{
    private const int Clients = 32;
    private const int Actors = 1000;
    private const int Propositions = 50_000;

    public static async Task RunAsync(BenchContext context)
    {
        var options = context.Options;
        var report = context.Report;
        var feeds = options.Pick(100, 1000);
        var warmup = TimeSpan.FromSeconds(options.Pick(0.5, 3));
        var measure = TimeSpan.FromSeconds(options.Pick(1.5, 10));

        var connectionString = await context.CreateDatabaseAsync("feeds");
        await using var host = await HostProcess.StartAsync(connectionString, context.LogPath("host"));
        using var client = host.CreateClient(Clients * 2);
        var actorIds = Enumerable.Range(0, Actors).Select(i => $"actor-{i:D4}").ToArray();
        await StoreApi.RegisterActorsAsync(client, actorIds);
        var zipf = new Zipf(Actors, 1.1);
        Report.Note($"{Clients} clients, {Actors} actors, Zipf s=1.1; {feeds} feeds: {feeds / 2} on /events/stream?actorId=…, "
            + $"{feeds - feeds / 2} on /contradictions/stream; {options.Rounds} rounds of {warmup.TotalSeconds} s + {measure.TotalSeconds} s per variant");

        Func<Random, Task<bool>> Append(int worker) => async random =>
        {
            using var response = await client.PostAsync($"actors/{actorIds[zipf.Next(random)]}/claims",
                StoreApi.JsonContent(ClaimData.Json(ClaimData.Random(random, Propositions))));
            return response.StatusCode == HttpStatusCode.Created;
        };

        // Unmeasured, so that the JIT has settled before the first round.
        await Load.ClosedLoopPerWorkerAsync(Clients, TimeSpan.Zero, options.Pick(TimeSpan.Zero, BenchContext.JitWarmup), Append);

        var rates = new Dictionary<string, List<double>> { ["no_feeds"] = [], ["with_feeds"] = [] };
        var hostCpu = new Dictionary<string, List<double>> { ["no_feeds"] = [], ["with_feeds"] = [] };
        var memory = new List<double>();
        long messages = 0;
        for (var round = 0; round < options.Rounds; round++)
        {
            foreach (var variant in BenchContext.Rotate([.. rates.Keys], round))
            {
                var open = new List<FeedWatch>();
                if (variant == "with_feeds")
                {
                    var before = host.Memory().RssMiB;
                    for (var i = 0; i < feeds; i++)
                    {
                        open.Add(await FeedWatch.OpenAsync(host.BaseAddress,
                            i % 2 == 0 ? $"events/stream?actorId={actorIds[i / 2 % Actors]}" : "contradictions/stream"));
                    }

                    await Task.Delay(1000);
                    memory.Add(host.Memory().RssMiB - before);
                }

                var result = await Load.ClosedLoopPerWorkerAsync(Clients, warmup, measure, Append, seed: round + 1, meter: context.Meter(host));
                report.CountErrors(result.Errors, $"feeds {variant}: {result.FirstError}");
                rates[variant].Add(result.PerSecond);
                hostCpu[variant].Add(result.Cpu!.HostSeconds * 1e6 / Math.Max(1, result.Operations));
                var received = open.Sum(f => f.Messages);
                messages += received;
                Report.Note($"round {round + 1} {variant,-10}: {result.Describe("claims")}"
                    + (open.Count > 0 ? $"; host memory +{memory[^1]:F0} MiB with the feeds open, {received:N0} messages received" : ""));
                foreach (var feed in open)
                {
                    await feed.DisposeAsync();
                }
            }
        }

        report.Figure("no_feeds.claims_per_s", Stats.Median(rates["no_feeds"]), 0);
        report.Figure("with_feeds.claims_per_s", Stats.Median(rates["with_feeds"]), 0);
        report.Figure("no_feeds.host_cpu_us_per_claim", Stats.Median(hostCpu["no_feeds"]), 0);
        report.Figure("with_feeds.host_cpu_us_per_claim", Stats.Median(hostCpu["with_feeds"]), 0);
        report.Figure("with_feeds.host_memory_added_mib", Stats.Median(memory), 0);
        report.Figure("with_feeds.messages_received", messages, 0);
        report.CountErrors(messages == 0 ? 1 : 0, "the open feeds received no message");
        report.Ratio("ratio_claims_per_s_with_vs_without_feeds", Stats.Median(rates["with_feeds"]) / Stats.Median(rates["no_feeds"]), main: true);
        Report.Note($"targets with 1,000 feeds: ratio ≥ 0.90, host memory added ≤ 100 MiB");
    }
}

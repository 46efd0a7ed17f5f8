using System.Net;
using ClaimStore.Benchmarks.Infrastructure;

namespace ClaimStore.Benchmarks.Scenarios;

/// <summary>
/// telemetry: what OpenTelemetry costs a host. Three hosts side by side, each over a database of its own:
/// one with <c>Telemetry:Enabled=false</c> (no listener on any source or meter), one with metrics only
/// (the default without an OTLP endpoint), one with metrics and traces (<c>Telemetry:Traces=true</c>:
/// every request's spans are recorded, down to the PostgreSQL statements; there is no exporter, so the
/// figure is the cost of recording, not of shipping spans).
/// The append load of <c>append</c> (32 clients, 1,000 actors, Zipf s = 1.1) and the read load of
/// <c>read</c> (GET /actors/{id}/positions) run against each in rotating rounds; the ratios are
/// metrics/off and on/off (the target: at least 0.95 for append and for read).
/// </summary>
public static class TelemetryScenario
{
    private const int Clients = 32;
    private const int Actors = 1000;
    private const int Propositions = 50_000;

    public static async Task RunAsync(BenchContext context)
    {
        var options = context.Options;
        var report = context.Report;
        var warmup = TimeSpan.FromSeconds(options.Pick(0.5, 3));
        var measure = TimeSpan.FromSeconds(options.Pick(1.5, 10));
        var claimsPerActor = options.Pick(5, 20);

        var hosts = new Dictionary<string, HostProcess>();
        try
        {
            foreach (var (name, settings) in new (string, Dictionary<string, string>)[]
            {
                ("off", new() { ["Telemetry:Enabled"] = "false" }),
                ("metrics", new() { ["Telemetry:Enabled"] = "true", ["Telemetry:Traces"] = "false" }),
                ("on", new() { ["Telemetry:Enabled"] = "true", ["Telemetry:Traces"] = "true" }),
            })
            {
                hosts[name] = await HostProcess.StartAsync(await context.CreateDatabaseAsync($"telemetry_{name}"), context.LogPath($"host-{name}"), settings);
            }

            var actorIds = Enumerable.Range(0, Actors).Select(i => $"actor-{i:D4}").ToArray();
            // Reads go to actors the appends never touch: their claims stay as many on every host in every round,
            // so the read variants compare telemetry, not how far each host's appends have grown the hot actors.
            var readActorIds = Enumerable.Range(0, Actors).Select(i => $"reader-{i:D4}").ToArray();
            string[] readPaths = [.. readActorIds.Select(id => $"actors/{id}/positions")];
            var zipf = new Zipf(Actors, 1.1);
            var variants = new List<(string Name, HostProcess Host, Func<int, Func<Random, Task<bool>>> OperationOf)>();
            var clients = new List<IDisposable>();
            foreach (var (name, host) in hosts)
            {
                var http = host.CreateClient(Clients * 2);
                clients.Add(http);
                await StoreApi.RegisterActorsAsync(http, [.. actorIds, .. readActorIds]);
                var seed = new Random(42);
                await StoreApi.IngestAsync(http, actorIds.Concat(readActorIds).SelectMany(id => Enumerable.Range(0, claimsPerActor)
                    .Select(_ => (id, ClaimData.Random(seed, Propositions)))), 1000, 2);
                var lean = new LeanHttpClient(host.BaseAddress, readPaths, Clients);
                clients.Add(lean);
                variants.Add(($"append_{name}", host, Append(lean, actorIds, zipf)));
                variants.Add(($"read_{name}", host, Read(lean, zipf)));
            }

            Report.Note($"{Clients} clients, {Actors} actors appended to and {Actors} others read (Zipf s=1.1), {claimsPerActor} claims each to start with; "
                + $"{options.Rounds} rounds of {warmup.TotalSeconds} s warm-up + {measure.TotalSeconds} s measured per variant; "
                + "telemetry on = metrics and traces recorded, no exporter");

            foreach (var (name, _, operation) in variants)
            {
                var result = await Load.ClosedLoopPerWorkerAsync(Clients, TimeSpan.Zero, options.Pick(TimeSpan.Zero, BenchContext.JitWarmup), operation, seed: 1000);
                report.CountErrors(result.Errors, $"telemetry {name} (JIT warm-up): {result.FirstError}");
            }

            var results = variants.ToDictionary(v => v.Name, _ => new List<LoadResult>());
            for (var round = 0; round < options.Rounds; round++)
            {
                foreach (var (name, host, operation) in BenchContext.Rotate(variants, round))
                {
                    var result = await Load.ClosedLoopPerWorkerAsync(Clients, warmup, measure, operation, seed: round + 1, meter: context.Meter(host));
                    results[name].Add(result);
                    report.CountErrors(result.Errors, $"telemetry {name}: {result.FirstError}");
                    Report.Note($"round {round + 1} {name,-10}: {result.Describe(name.StartsWith("append", StringComparison.Ordinal) ? "claims" : "requests")}");
                }
            }

            foreach (var (name, rounds) in results)
            {
                report.Figure($"{name}.per_s", Stats.Median(rounds.Select(r => r.PerSecond)), 0);
                report.Figure($"{name}.p50_ms", Stats.Median(rounds.Select(r => r.P(50))), 2);
                report.Figure($"{name}.p99_ms", Stats.Median(rounds.Select(r => r.P(99))), 2);
                context.CpuFigures(name, rounds);
            }

            double Median(string name) => Stats.Median(results[name].Select(r => r.PerSecond));
            report.Ratio("append_metrics_vs_off", Median("append_metrics") / Median("append_off"));
            report.Ratio("read_metrics_vs_off", Median("read_metrics") / Median("read_off"));
            report.Ratio("append_on_vs_off", Median("append_on") / Median("append_off"));
            report.Ratio("read_on_vs_off", Median("read_on") / Median("read_off"), main: true);
            clients.ForEach(c => c.Dispose());
        }
        finally
        {
            foreach (var host in hosts.Values)
            {
                await host.DisposeAsync();
            }
        }
    }

    // Each worker has a connection of its own, so requests on it never overlap.
    private static Func<int, Func<Random, Task<bool>>> Append(LeanHttpClient lean, string[] actorIds, Zipf zipf) => worker =>
    {
        var connection = lean.Connection(worker);
        return async random =>
        {
            var request = lean.Post($"actors/{actorIds[zipf.Next(random)]}/claims", ClaimData.Json(ClaimData.Random(random, Propositions)));
            return (await connection.SendAsync(request)).Status == (int)HttpStatusCode.Created;
        };
    };

    private static Func<int, Func<Random, Task<bool>>> Read(LeanHttpClient lean, Zipf zipf) => worker =>
    {
        var connection = lean.Connection(worker);
        return async random => (await connection.SendAsync(lean.Request(zipf.Next(random)))).Status == (int)HttpStatusCode.OK;
    };
}

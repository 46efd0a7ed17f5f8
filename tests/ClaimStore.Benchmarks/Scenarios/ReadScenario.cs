using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;
using ClaimStore.Benchmarks.Infrastructure;
using ClaimStore.Domain.Actors;
using ClaimStore.Domain.Claims;
using ClaimStore.Domain.Positions;
using Marten;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ClaimStore.Benchmarks.Scenarios;

/// <summary>
/// read: 32 clients ask GET /actors/{id}/positions for 1,000 actors chosen Zipf-like. ClaimStore
/// answers from the actor grain's memory; the baseline is the same endpoint served over HTTP by this
/// process, which on every request reads the actor's stream from the host's Marten store, folds it
/// and computes the positions with the same pure functions.
/// </summary>
public static class ReadScenario
{
    private const int Clients = 32;
    private const int Actors = 1000;
    private const int Propositions = 2000;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
    };

    public static async Task RunAsync(BenchContext context)
    {
        var options = context.Options;
        var report = context.Report;
        var warmup = TimeSpan.FromSeconds(options.Pick(0.5, 3));
        var measure = TimeSpan.FromSeconds(options.Pick(1.5, 10));
        var claimsPerActor = options.Pick(5, 20);

        var connectionString = context.Postgres.CreateDatabase("read");
        await using var host = await HostProcess.StartAsync(connectionString, context.LogPath("host"));
        using var client = host.CreateClient(Clients * 2);
        var actorIds = Enumerable.Range(0, Actors).Select(i => $"actor-{i:D4}").ToArray();
        await StoreApi.RegisterActorsAsync(client, actorIds);
        var seed = new Random(42);
        var claims = actorIds.SelectMany(id => Enumerable.Range(0, claimsPerActor).Select(_ => (id, ClaimData.Random(seed, Propositions))));
        await StoreApi.IngestAsync(client, claims, 1000, 2);

        await using var services = Stores.ClaimStoreServices(connectionString);
        var store = services.GetRequiredService<IDocumentStore>();
        await using var baseline = await StartBaselineAsync(store);
        using var baselineClient = StoreApi.CreateClient(baseline.Urls.Select(u => new Uri(u + "/")).First(), Clients * 2);

        var matches = await SameAnswersAsync(client, baselineClient, actorIds.Take(20));
        report.Figure("answers_match", matches ? 1 : 0, 0);
        report.CountErrors(matches ? 0 : 1, "the baseline's positions differ from ClaimStore's");

        var zipf = new Zipf(Actors, 1.1);
        Report.Note($"{Clients} clients, {Actors} actors with {claimsPerActor} claims each, Zipf s=1.1; "
            + $"{options.Rounds} rounds of {warmup.TotalSeconds} s warm-up + {measure.TotalSeconds} s measured per variant");

        static Func<Random, Task<bool>> Reader(HttpClient http, string[] ids, Zipf zipf) => async random =>
        {
            using var response = await http.GetAsync($"actors/{ids[zipf.Next(random)]}/positions");
            return response.StatusCode == HttpStatusCode.OK;
        };

        var variants = new (string Name, Func<Random, Task<bool>> Operation)[]
        {
            ("claimstore", Reader(client, actorIds, zipf)),
            ("marten", Reader(baselineClient, actorIds, zipf)),
        };
        var results = await context.RunRoundsAsync(variants, Clients, warmup, measure, host, "requests");
        foreach (var name in results.Keys)
        {
            report.Figure($"{name}.requests_per_s", Stats.Median(results[name].Select(r => r.PerSecond)), 0);
            report.Figure($"{name}.p50_ms", Stats.Median(results[name].Select(r => r.P(50))), 2);
            report.Figure($"{name}.p99_ms", Stats.Median(results[name].Select(r => r.P(99))), 2);
            context.CpuFigures(name, results[name]);
        }

        if (results.Count == variants.Length)
        {
            report.Ratio("ratio_vs_marten",
                Stats.Median(results["claimstore"].Select(r => r.PerSecond)) / Stats.Median(results["marten"].Select(r => r.PerSecond)), main: true);
        }

        await baseline.StopAsync();
    }

    /// <summary>GET /actors/{id}/positions answered from Marten on every request.</summary>
    private static async Task<WebApplication> StartBaselineAsync(IDocumentStore store)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{HostProcess.FreePort()}");
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower)));
        var app = builder.Build();
        app.MapGet("/actors/{actorId}/positions", async (string actorId, string? asOf, CancellationToken ct) =>
        {
            await using var session = store.QuerySession();
            var events = await session.Events.FetchStreamAsync(actorId, token: ct);
            var state = ActorDecider.Fold(ActorState.Empty(actorId), events.Select(e => (IActorEvent)e.Data));
            if (!state.IsRegistered)
            {
                return Results.NotFound();
            }

            var at = asOf is null ? (DateTimeOffset?)null : DateTimeOffset.Parse(asOf, CultureInfo.InvariantCulture);
            var positions = Position.ComputeAll(state.Claims, at, null).Select(p => new BaselinePosition(
                p.Proposition.Key, p.Proposition.Subject, p.Proposition.Predicate, p.Proposition.Object,
                p.Stance, p.Certainty, p.Quantity, p.Since, p.ClaimId, p.ClaimCount));
            return Results.Ok(new BaselinePositions(actorId, at, null, [.. positions]));
        });
        await app.StartAsync();
        return app;
    }

    private static async Task<bool> SameAnswersAsync(HttpClient claimStore, HttpClient baseline, IEnumerable<string> actorIds)
    {
        foreach (var id in actorIds)
        {
            var expected = Summarise(await claimStore.GetStringAsync($"actors/{id}/positions"));
            var actual = Summarise(await baseline.GetStringAsync($"actors/{id}/positions"));
            if (expected.Count == 0 || !expected.SequenceEqual(actual))
            {
                Report.Note($"positions of {id} differ: ClaimStore [{string.Join(", ", expected)}], baseline [{string.Join(", ", actual)}]");
                return false;
            }
        }

        return true;
    }

    private static List<string> Summarise(string body)
    {
        var view = JsonSerializer.Deserialize<BaselinePositions>(body, Json)!;
        return [.. view.Positions.Select(p => $"{p.PropositionKey}={p.Stance}/{p.ClaimId}/{p.ClaimCount}")];
    }

    private sealed record BaselinePositions(string ActorId, DateTimeOffset? AsOf, DateTimeOffset? KnownAt, IReadOnlyList<BaselinePosition> Positions);

    private sealed record BaselinePosition(
        string PropositionKey, string Subject, string Predicate, string? Object, Stance Stance, Certainty Certainty,
        Quantity? Quantity, DateTimeOffset Since, Guid ClaimId, int ClaimCount);
}

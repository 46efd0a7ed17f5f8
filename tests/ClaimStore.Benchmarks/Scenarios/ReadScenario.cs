using System.Buffers;
using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;
using ClaimStore.Benchmarks.Infrastructure;
using ClaimStore.Domain.Actors;
using ClaimStore.Domain.Claims;
using ClaimStore.Domain.Positions;
using ClaimStore.Testing;
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

        var connectionString = await context.CreateDatabaseAsync("read");
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

        // The measured load goes through the lean client (see LeanHttpClient for why), the same one for
        // both variants; the last path is an actor that does not exist, for the self-check's 404.
        string[] paths = [.. actorIds.Select(id => $"actors/{id}/positions"), "actors/no-such-actor/positions"];
        using var leanClaimStore = new LeanHttpClient(host.BaseAddress, paths, Clients);
        using var leanBaseline = new LeanHttpClient(baselineClient.BaseAddress!, paths, Clients);
        var leanMismatches = await LeanMatchesAsync("ClaimStore", client, leanClaimStore, paths)
            + await LeanMatchesAsync("baseline", baselineClient, leanBaseline, paths);
        report.Figure("lean_client_matches", leanMismatches == 0 ? 1 : 0, 0);
        report.CountErrors(leanMismatches, "the lean client read answers that differ from HttpClient's");

        var zipf = new Zipf(Actors, 1.1);
        Report.Note($"{Clients} clients, {Actors} actors with {claimsPerActor} claims each, Zipf s=1.1; "
            + $"{options.Rounds} rounds of {warmup.TotalSeconds} s warm-up + {measure.TotalSeconds} s measured per variant; "
            + "load from a keep-alive HTTP/1.1 client with one connection per client");

        // Each worker has a connection of its own, so requests on it never overlap.
        static Func<int, Func<Random, Task<bool>>> Reader(LeanHttpClient http, Zipf zipf) => worker =>
        {
            var connection = http.Connection(worker);
            return async random => (await connection.SendAsync(http.Request(zipf.Next(random)))).Status == (int)HttpStatusCode.OK;
        };

        var variants = new (string Name, Func<int, Func<Random, Task<bool>>> OperationOf)[]
        {
            ("claimstore", Reader(leanClaimStore, zipf)),
            ("marten", Reader(leanBaseline, zipf)),
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
        builder.WebHost.UseUrls($"http://127.0.0.1:{LoopbackPorts.Next()}");
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

    /// <summary>
    /// The lean client parses HTTP itself, so before it measures anything its answers are checked against
    /// HttpClient's: the same status and byte-equal bodies for a few actors, hot and cold, and one unknown
    /// actor (404). Consecutive checks share two connections, so keep-alive reuse is checked too. The
    /// answers cover both framings: ClaimStore's positions carry a Content-Length, the baseline's are
    /// chunked, and so is ClaimStore's 404. Returns the number of mismatches.
    /// </summary>
    private static async Task<int> LeanMatchesAsync(string server, HttpClient http, LeanHttpClient lean, string[] paths)
    {
        int[] checks = [0, 1, 2, 3, 17, 500, 999, paths.Length - 1, 0, 1];
        var mismatches = 0;
        var body = new ArrayBufferWriter<byte>();
        for (var n = 0; n < checks.Length; n++)
        {
            var path = paths[checks[n]];
            using var expected = await http.GetAsync(path);
            var expectedBody = await expected.Content.ReadAsByteArrayAsync();
            body.ResetWrittenCount();
            var actual = await lean.Connection(n % 2).SendAsync(lean.Request(checks[n]), body);
            // A problem answer carries the request's own trace id, so two reads of it differ in those bytes
            // (not in their number); every other body must be byte-equal.
            var sameBody = expected.StatusCode == HttpStatusCode.OK
                ? body.WrittenSpan.SequenceEqual(expectedBody)
                : body.WrittenCount == expectedBody.Length;
            if (actual.Status != (int)expected.StatusCode || actual.BodyLength != body.WrittenCount || !sameBody)
            {
                mismatches++;
                Report.Note($"{server} {path}: HttpClient read {(int)expected.StatusCode} with {expectedBody.Length} bytes, "
                    + $"the lean client {actual.Status} with {body.WrittenCount} bytes ({actual.BodyLength} counted)"
                    + (actual.Status == (int)expected.StatusCode && body.WrittenCount == expectedBody.Length ? ", which differ" : ""));
            }
        }

        return mismatches;
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

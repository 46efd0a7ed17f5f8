using System.Net;
using ClaimStore.Benchmarks.Infrastructure;
using ClaimStore.Storage;
using Marten;
using Npgsql;

namespace ClaimStore.Benchmarks.Scenarios;

/// <summary>
/// append: 32 concurrent clients record claims for 1,000 actors chosen Zipf-like (s = 1.1), each
/// claim acknowledged only after its commit. ClaimStore over HTTP against the same claims appended
/// through plain Marten (one session and one transaction per claim, one writer per actor at a time
/// like the grain), once with ClaimStore's own connection settings (the ratio's baseline) and once with
/// Npgsql's defaults (<c>marten_defaults</c>), and raw one-row INSERTs through Npgsql (autocommit, prepared,
/// on ClaimStore's connection settings): the floor of a durable one-row commit on this machine. The HTTP
/// load comes from the lean keep-alive client (see <see cref="LeanHttpClient"/>), one connection per
/// client, checked against HttpClient first.
/// </summary>
public static class AppendScenario
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

        var connectionString = await context.CreateDatabaseAsync("append");
        Report.Note($"PostgreSQL {await BenchContext.DescribePostgresAsync(connectionString)}");
        await using var host = await HostProcess.StartAsync(connectionString, context.LogPath("host"));
        using var client = host.CreateClient(Clients * 2);
        var actorIds = Enumerable.Range(0, Actors).Select(i => $"actor-{i:D4}").ToArray();
        await StoreApi.RegisterActorsAsync(client, actorIds);

        await using var marten = await Stores.BaselineAsync(connectionString);
        await Stores.RegisterBaselineActorsAsync(marten, actorIds);
        // The same schema and streams; the variants never run at once.
        await using var martenDefaults = await Stores.BaselineAsync(connectionString, npgsqlDefaults: true);
        var actorLocks = actorIds.Select(_ => new SemaphoreSlim(1, 1)).ToArray();
        // The floor gets ClaimStore's connection settings too: its INSERT prepared, no DISCARD ALL per commit.
        await using var raw = DatabaseTimeouts.Default.BuildDataSource(connectionString);
        await Stores.CreateRawTableAsync(raw);

        var zipf = new Zipf(Actors, 1.1);
        Report.Note($"{Clients} clients, {Actors} actors, Zipf s=1.1 (the hottest actor gets {zipf.TopShare:P0} of the claims); "
            + $"{options.Rounds} rounds of {warmup.TotalSeconds} s warm-up + {measure.TotalSeconds} s measured per variant");

        using var lean = new LeanHttpClient(host.BaseAddress, [], Clients);
        var leanMismatches = await LeanPostsStoreAsync(client, lean, actorIds);
        report.Figure("lean_client_matches", leanMismatches == 0 ? 1 : 0, 0);
        report.CountErrors(leanMismatches, "claims the lean client posted were not answered 201 or not stored");

        // Each worker has a connection of its own, so requests on it never overlap.
        Func<Random, Task<bool>> ViaHttp(int worker)
        {
            var connection = lean.Connection(worker);
            return async random =>
            {
                var actor = actorIds[zipf.Next(random)];
                var request = lean.Post($"actors/{actor}/claims", ClaimData.Json(ClaimData.Random(random, Propositions)));
                return (await connection.SendAsync(request)).Status == (int)HttpStatusCode.Created;
            };
        }

        Func<Random, Task<bool>> ViaMarten(IDocumentStore store) => async random =>
        {
            var index = zipf.Next(random);
            var claim = ClaimData.Random(random, Propositions);
            await actorLocks[index].WaitAsync();
            try
            {
                await using var session = store.LightweightSession();
                session.Events.Append(actorIds[index], Stores.ClaimEvent(actorIds[index], claim));
                await session.SaveChangesAsync();
                return true;
            }
            finally
            {
                actorLocks[index].Release();
            }
        };

        async Task<bool> ViaNpgsql(Random random)
        {
            var actor = actorIds[zipf.Next(random)];
            var claim = ClaimData.Random(random, Propositions);
            await using var command = raw.CreateCommand("insert into bench_raw.claims (id, actor_id, data) values ($1, $2, $3::jsonb)");
            command.Parameters.AddWithValue(claim.ClaimId);
            command.Parameters.AddWithValue(actor);
            command.Parameters.AddWithValue(ClaimData.Json(claim));
            return await command.ExecuteNonQueryAsync() == 1;
        }

        var variants = new (string Name, Func<int, Func<Random, Task<bool>>> OperationOf)[]
        {
            ("http", ViaHttp), ("marten", _ => ViaMarten(marten)), ("marten_defaults", _ => ViaMarten(martenDefaults)),
            ("npgsql", _ => ViaNpgsql),
        };
        var results = await context.RunRoundsAsync(variants, Clients, warmup, measure, host, "claims");
        foreach (var name in results.Keys)
        {
            report.Figure($"{name}.claims_per_s", Stats.Median(results[name].Select(r => r.PerSecond)), 0);
            report.Figure($"{name}.p50_ms", Stats.Median(results[name].Select(r => r.P(50))), 2);
            report.Figure($"{name}.p99_ms", Stats.Median(results[name].Select(r => r.P(99))), 2);
            context.CpuFigures(name, results[name]);
        }

        if (results.Count == variants.Length)
        {
            var http = Stats.Median(results["http"].Select(r => r.PerSecond));
            report.Ratio("ratio_vs_npgsql", http / Stats.Median(results["npgsql"].Select(r => r.PerSecond)));
            report.Ratio("ratio_vs_marten_defaults", http / Stats.Median(results["marten_defaults"].Select(r => r.PerSecond)));
            report.Ratio("ratio_vs_marten", http / Stats.Median(results["marten"].Select(r => r.PerSecond)), main: true);
        }

        report.Figure("http.claims_per_commit", await ClaimsPerCommitAsync(raw), 1);
        var (rss, peak) = host.Memory();
        report.Figure("host.rss_mib", rss, 0);
        report.Figure("host.peak_rss_mib", peak, 0);
    }

    /// <summary>
    /// The lean client writes HTTP itself, so before it measures anything: a few claims posted through it, on
    /// two connections in turn (keep-alive reuse), must each be answered 201 and then be found through
    /// HttpClient with the same claim id. Returns the number of failures.
    /// </summary>
    private static async Task<int> LeanPostsStoreAsync(HttpClient http, LeanHttpClient lean, string[] actorIds)
    {
        var random = new Random(7);
        var failures = 0;
        for (var n = 0; n < 8; n++)
        {
            var actor = actorIds[n * 97 % actorIds.Length];
            var claim = ClaimData.Random(random, Propositions);
            var answer = await lean.Connection(n % 2).SendAsync(lean.Post($"actors/{actor}/claims", ClaimData.Json(claim)));
            using var stored = await http.GetAsync($"actors/{actor}/claims/{claim.ClaimId}");
            var body = await stored.Content.ReadAsStringAsync();
            if (answer.Status != (int)HttpStatusCode.Created || stored.StatusCode != HttpStatusCode.OK || !body.Contains(claim.ClaimId.ToString(), StringComparison.Ordinal))
            {
                failures++;
                Report.Note($"lean POST of claim {claim.ClaimId} to {actor}: answered {answer.Status}, then GET {(int)stored.StatusCode}");
            }
        }

        return failures;
    }

    /// <summary>Group commit at work: the claims ClaimStore stored per transaction (rows sharing an xmin were inserted by one).</summary>
    public static async Task<double> ClaimsPerCommitAsync(NpgsqlDataSource database)
    {
        await using var command = database.CreateCommand(
            "select count(*)::float8 / greatest(count(distinct xmin::text), 1) from claimstore.mt_events where type = 'ClaimRecorded'");
        return (double)(await command.ExecuteScalarAsync())!;
    }
}

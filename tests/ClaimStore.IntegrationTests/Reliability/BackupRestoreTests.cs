using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using ClaimStore.IntegrationTests.Infrastructure;
using ClaimStore.Testing;
using Npgsql;
using Xunit.Abstractions;

namespace ClaimStore.IntegrationTests.Reliability;

/// <summary>
/// The backup runbook of docs/reliability.md, run: <c>pg_basebackup -X stream</c> from a running server while
/// HTTP writers append, the copy started as a new server (new data directory, new port), a host started on it.
/// </summary>
[Collection(ReliabilityCollection.Name)]
public sealed class BackupRestoreTests(ITestOutputHelper output)
{
    private const string Database = "backup";
    private const int Actors = 12;
    private const int Writers = 8;
    private const int ClaimsPerWriter = 120;
    private const string PostgresBin = "/usr/lib/postgresql/15/bin";

    [Fact]
    public async Task BaseBackupUnderLoad_RestoredOnANewServer_HoldsEveryClaimAcknowledgedBeforeItsEndAndTheSameReadSide()
    {
        var total = Stopwatch.StartNew();
        await using var postgres = await ClaimStorePostgres.StartAsync();
        var connectionString = await postgres.CreateDatabaseAsync(Database, withSchema: true);
        await using var host = new InProcessHost(connectionString, new Dictionary<string, string?>());
        using var client = host.CreateClient();
        client.Timeout = TimeSpan.FromSeconds(30);
        var actors = Enumerable.Range(0, Actors).Select(i => TestData.ActorId($"backup{i}")).ToArray();
        await Task.WhenAll(actors.Select(a => HttpClaims.RegisterAsync([client], a, TimeSpan.FromSeconds(20))));
        // Contradictions the load never touches (its claims each have a proposition of their own), so both hosts must agree on them.
        await SeedContradictionsAsync(client, actors);

        var load = new ClaimLoad(actors, Writers, ClaimsPerWriter);
        var run = load.RunAsync((claim, _, ct) => HttpClaims.PostAsync(client, claim, TimeSpan.FromSeconds(20), ct), TimeSpan.FromSeconds(40));
        await load.WaitForAcknowledgementsAsync(load.Total / 4, run, TimeSpan.FromSeconds(20));

        // Where the WAL stood, sampled through the backup: a claim acknowledged before a sample whose position is at or
        // before the backup's end is in the backup (its commit record lies before that position).
        using var sampling = new CancellationTokenSource();
        var samples = new ConcurrentQueue<(TimeSpan At, long Lsn)>();
        var sampler = SampleWalAsync(connectionString, load, samples, sampling.Token);
        var restoreRoot = Path.Combine(Path.GetTempPath(), "claimstore-restore-" + Guid.NewGuid().ToString("N")[..12]);
        try
        {
            var backupStarted = load.Now;
            var dataDirectory = await BaseBackupAsync(postgres, restoreRoot);
            var backupEnded = load.Now;
            await sampling.CancelAsync();
            await sampler;
            var endLsn = EndLsn(dataDirectory);
            var cutoff = samples.Where(s => s.Lsn <= endLsn).Select(s => s.At).DefaultIfEmpty(backupStarted).Max();
            await run;
            Assert.Empty(load.FatalAnswers);
            Assert.Equal(load.Total, load.AcknowledgedCount);

            await using var restored = await ClaimStorePostgres.StartAsync(dataDirectory: dataDirectory);
            Assert.NotEqual(postgres.Port, restored.Port);
            var restoredConnection = new NpgsqlConnectionStringBuilder(restored.ServerConnectionString) { Database = Database, Pooling = true }.ConnectionString;
            var stored = await StoredClaimsAsync(restoredConnection);
            var mustHave = load.Acknowledged.Values.Where(a => a.Ended < cutoff).ToList();
            var duringBackup = load.Acknowledged.Values.Count(a => a.Ended > backupStarted && a.Ended < cutoff);
            var missing = mustHave.Where(a => !stored.Contains(a.Claim.ClaimId)).ToList();
            output.WriteLine(
                $"Backup {(backupEnded - backupStarted).TotalSeconds:F1} s under {Writers} writers; end LSN {endLsn:X}; {load.Summary()}; "
                + $"acknowledged before the backup's end: {mustHave.Count} ({duringBackup} of them while it ran), missing from the restore: {missing.Count}; "
                + $"claims in the restore: {stored.Count}; acknowledged later but in the restore: {stored.Count(id => !mustHave.Any(m => m.Claim.ClaimId == id))}.");
            Assert.Empty(missing);
            Assert.True(duringBackup > 0, "No claim was acknowledged while the backup ran: it was not taken under load.");
            Assert.All(stored, id => Assert.Contains(id, load.AllClaims.Select(c => c.ClaimId)));
            await AssertStreamsContiguousAsync(restoredConnection);

            // A host on the restored server folds the log again; it must answer as the original does for the same claims.
            await using var restoredHost = new InProcessHost(restoredConnection, new Dictionary<string, string?>());
            using var restoredClient = restoredHost.CreateClient();
            restoredClient.Timeout = TimeSpan.FromSeconds(30);
            var originalContradictions = await GetAsync(client, "/contradictions");
            var restoredContradictions = await GetAsync(restoredClient, "/contradictions");
            Assert.NotEmpty(restoredContradictions.AsArray());
            Assert.Equal(originalContradictions.ToJsonString(), restoredContradictions.ToJsonString());
            foreach (var actor in actors)
            {
                // The restore holds a prefix of each actor's claims; the original's positions on those propositions must match.
                var restoredPositions = (await GetAsync(restoredClient, $"/actors/{actor}/positions"))["positions"]!.AsArray();
                var originalPositions = (await GetAsync(client, $"/actors/{actor}/positions"))["positions"]!.AsArray()
                    .ToDictionary(p => (string)p!["propositionKey"]!, p => p!.ToJsonString());
                Assert.All(restoredPositions, p => Assert.Equal(originalPositions[(string)p!["propositionKey"]!], p!.ToJsonString()));
                Assert.Equal(stored.Count(id => load.AllClaims.First(c => c.ClaimId == id).ActorId == actor) + SeedsOf(actor, actors), restoredPositions.Count);
            }

            output.WriteLine($"Read side of the restored host: {restoredContradictions.AsArray().Count} contradictions, the positions of {actors.Length} actors, "
                + $"as the original host answers; the whole test took {total.Elapsed.TotalSeconds:F1} s.");
        }
        finally
        {
            await sampling.CancelAsync();
            if (Directory.Exists(restoreRoot))
            {
                Directory.Delete(restoreRoot, recursive: true);
            }
        }
    }

    /// <summary>
    /// <c>pg_basebackup -X stream -c fast</c> of the whole server into <paramref name="root"/>/pg, as the server user, with the
    /// password file the embedded launcher expects beside a data directory; returns the data directory.
    /// </summary>
    private static async Task<string> BaseBackupAsync(ClaimStorePostgres postgres, string root)
    {
        var server = new NpgsqlConnectionStringBuilder(postgres.ServerConnectionString);
        Directory.CreateDirectory(root);
        var dataDirectory = Path.Combine(root, "pg");
        await File.WriteAllTextAsync(Path.Combine(root, "pg.password"), server.Password);
        var asServerUser = Environment.UserName == "root";
        if (asServerUser)
        {
            await RunAsync("chown", ["-R", "postgres:", root], null);
        }

        string[] arguments = ["-h", server.Host!, "-p", server.Port.ToString(CultureInfo.InvariantCulture), "-U", server.Username!,
            "-D", dataDirectory, "-X", "stream", "-c", "fast", "--no-password"];
        var pgBaseBackup = Path.Combine(PostgresBin, "pg_basebackup");
        await (asServerUser
            ? RunAsync("runuser", ["-u", "postgres", "--", pgBaseBackup, .. arguments], server.Password)
            : RunAsync(pgBaseBackup, arguments, server.Password));
        return dataDirectory;
    }

    private static async Task RunAsync(string file, string[] arguments, string? password)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        if (password is not null)
        {
            start.Environment["PGPASSWORD"] = password;
        }

        using var process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var error = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.StandardOutput.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, $"{file} {string.Join(' ', arguments)} failed ({process.ExitCode}): {await error}");
    }

    /// <summary>The backup's end: the WAL position up to which the copy is consistent, from its manifest.</summary>
    private static long EndLsn(string dataDirectory)
    {
        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(dataDirectory, "backup_manifest")))!;
        return ParseLsn((string)manifest["WAL-Ranges"]!.AsArray()[^1]!["End-LSN"]!);
    }

    private static long ParseLsn(string lsn)
    {
        var parts = lsn.Split('/');
        return (long.Parse(parts[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture) << 32)
            | long.Parse(parts[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
    }

    private static async Task SampleWalAsync(string connectionString, ClaimLoad load, ConcurrentQueue<(TimeSpan, long)> samples, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(CancellationToken.None);
        await using var command = new NpgsqlCommand("select (pg_current_wal_insert_lsn() - '0/0'::pg_lsn)::bigint", connection);
        while (!cancellationToken.IsCancellationRequested)
        {
            // The time is taken before the query is sent: every commit acknowledged by then lies below the position it reads.
            var at = load.Now;
            samples.Enqueue((at, Convert.ToInt64(await command.ExecuteScalarAsync(CancellationToken.None), CultureInfo.InvariantCulture)));
            await Task.Delay(10, CancellationToken.None);
        }
    }

    private static async Task SeedContradictionsAsync(HttpClient client, string[] actors)
    {
        for (var i = 0; i < 4; i++)
        {
            await PostSeedAsync(client, actors[i], $"seed-{i}", "affirms", "2024-12-01T00:00:00Z");
            await PostSeedAsync(client, actors[i + 1], $"seed-{i}", "denies", "2024-12-02T00:00:00Z");
        }

        // A self-reversal: the same actor, the same proposition, the other stance later.
        await PostSeedAsync(client, actors[0], "seed-0", "denies", "2024-12-03T00:00:00Z");
    }

    private static int SeedsOf(string actor, string[] actors) => Array.IndexOf(actors, actor) switch
    {
        0 => 1,
        >= 1 and <= 3 => 2,
        4 => 1,
        _ => 0,
    };

    private static async Task PostSeedAsync(HttpClient client, string actor, string item, string stance, string statedAt)
    {
        var response = await client.PostAsync(new Uri($"/actors/{actor}/claims", UriKind.Relative), new StringContent(new JsonObject
        {
            ["subject"] = "backup", ["predicate"] = "holds", ["object"] = item, ["stance"] = stance, ["statedAt"] = statedAt,
        }.ToJsonString(), System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    private static async Task<HashSet<Guid>> StoredClaimsAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "select id from claimstore.mt_events where type = 'ClaimRecorded' and data -> 'claim' -> 'proposition' ->> 'subject' = 'reliability'", connection);
        var ids = new HashSet<Guid>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            ids.Add(reader.GetGuid(0));
        }

        return ids;
    }

    private static async Task AssertStreamsContiguousAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            """
            select count(*) from (
                select e.stream_id from claimstore.mt_events e join claimstore.mt_streams s on s.id = e.stream_id
                group by e.stream_id, s.version having count(*) <> max(e.version) or max(e.version) <> s.version) gaps
            """, connection);
        Assert.Equal(0L, (long)(await command.ExecuteScalarAsync())!);
    }

    /// <summary>A GET once the host has caught up: a 503 (read side still folding) is asked again for up to 15 s.</summary>
    private static async Task<JsonNode> GetAsync(HttpClient client, string path)
    {
        var until = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            using var response = await client.GetAsync(new Uri(path, UriKind.Relative));
            if (response.StatusCode != HttpStatusCode.ServiceUnavailable || DateTime.UtcNow > until)
            {
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            }

            await Task.Delay(250);
        }
    }
}

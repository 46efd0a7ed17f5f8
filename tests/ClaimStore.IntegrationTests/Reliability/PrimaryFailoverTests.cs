using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using ClaimStore.Api.Hosting;
using ClaimStore.IntegrationTests.Infrastructure;
using ClaimStore.Storage;
using ClaimStore.Testing;
using Npgsql;
using Xunit.Abstractions;

namespace ClaimStore.IntegrationTests.Reliability;

/// <summary>
/// A PostgreSQL primary with a synchronous streaming standby, two ClaimStore host processes on the
/// multi-host connection string, 16 HTTP writers, and the primary's postmaster SIGKILLed in the
/// middle of the load, then the standby promoted: what a lost database machine and its failover do.
/// </summary>
[Collection(ReliabilityCollection.Name)]
public sealed class PrimaryFailoverTests(ITestOutputHelper output)
{
    private const int Actors = 32;
    private const int Writers = 16;
    private const int ClaimsPerWriter = 50;
    private static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(5);

    // The issue's bound: writes may pause for the promotion itself plus this much.
    private static readonly TimeSpan PauseAllowance = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task PrimarySigkilledUnderLoad_StandbyPromoted_EveryAcknowledgedClaimStoredOnceAndReadsContinue()
    {
        await using var postgres = await ClaimStorePostgres.StartWithStandbyAsync();
        var connectionString = await postgres.CreateDatabaseAsync("failover", withSchema: true);
        var settings = new NpgsqlConnectionStringBuilder(connectionString);
        Assert.Equal("read-write", settings.TargetSessionAttributes);
        Assert.Contains(",", settings.Host!, StringComparison.Ordinal);
        output.WriteLine($"Primary on port {postgres.Port}, synchronous standby on port {postgres.StandbyPort}; hosts connect to Host={settings.Host}.");

        var clusterId = $"failover-{Guid.NewGuid():N}"[..21];
        var hosts = Enumerable.Range(0, 2)
            .Select(i => HostProcess.Start($"host{i}", connectionString, OrleansClustering.Postgres, clusterId))
            .ToArray();
        var clients = hosts.Select(h => HttpClaims.Client(h.BaseAddress)).ToArray();
        try
        {
            await Task.WhenAll(hosts.Select(h => h.WaitHealthyAsync(TimeSpan.FromSeconds(60))));
            var actors = Enumerable.Range(0, Actors).Select(i => TestData.ActorId($"failover{i}")).ToArray();
            await Task.WhenAll(actors.Select((a, i) => HttpClaims.RegisterAsync([clients[i % 2], clients[(i + 1) % 2]], a, TimeSpan.FromSeconds(20))));
            Assert.True(await IsSynchronousAsync(postgres), "The standby is not listed as synchronous on the primary.");

            // Each attempt goes to the next host, as behind a load balancer.
            var load = new ClaimLoad(actors, Writers, ClaimsPerWriter);
            var run = load.RunAsync(
                (claim, attempt, ct) => HttpClaims.PostAsync(clients[(claim.Writer + claim.Index + attempt) % clients.Length], claim, AttemptTimeout, ct),
                TimeSpan.FromSeconds(90));

            await load.WaitForAcknowledgementsAsync(load.Total / 3, run, TimeSpan.FromSeconds(40));
            var acknowledgedBeforeKill = load.AcknowledgedCount;
            var postmaster = postgres.KillPrimary();
            var killedAt = load.Now;
            // Promoted at once, as a failover manager would after noticing the loss.
            await postgres.PromoteStandbyAsync();
            var promotedAt = load.Now;
            var firstAfterPromotion = await FirstAcknowledgedAfterAsync(load, promotedAt, run);
            await run;

            var promotion = promotedAt - killedAt;
            var (pause, pauseStart) = LongestPause(load);
            var retries = load.Failures.Count;
            output.WriteLine(load.Summary());
            output.WriteLine($"SIGKILLed the primary's postmaster (pid {postmaster}) at {killedAt.TotalSeconds:F2} s after {acknowledgedBeforeKill} acknowledgements; "
                + $"pg_ctl promote returned {promotion.TotalSeconds:F2} s after the kill; the first claim sent after the promotion was acknowledged "
                + $"{(firstAfterPromotion - promotedAt).TotalSeconds:F2} s after it; longest time without an acknowledgement {pause.TotalSeconds:F2} s "
                + $"(from {pauseStart.TotalSeconds:F2} s); {retries} attempts retried; the load ran {load.Now.TotalSeconds:F1} s.");

            Assert.Empty(load.FatalAnswers);
            Assert.Equal(load.Total, load.AcknowledgedCount);
            Assert.True(load.Acknowledged.Values.Count(a => a.Started > promotedAt) > 0, "No claim was acknowledged after the promotion.");
            Assert.True(pause <= promotion + PauseAllowance,
                $"Writes paused {pause.TotalSeconds:F1} s; the promotion took {promotion.TotalSeconds:F1} s and the allowance is {PauseAllowance.TotalSeconds} s.");

            // Against the promoted server: the multi-host connection string reaches only the one that takes writes.
            await using (var check = new NpgsqlConnection(connectionString))
            {
                await check.OpenAsync();
                Assert.Equal(postgres.StandbyPort, check.Port);
            }

            var audit = await StoreAudit.AssertExactlyOnceAsync(connectionString, load);
            output.WriteLine(audit.ToString());
            Assert.Equal(0, audit.StoredButNeverAcknowledged);

            var log = await AssertLogServedInFullAsync(clients, connectionString);
            output.WriteLine(log);
            await AssertReadSideMatchesAsync(clients, load);
            output.WriteLine($"Read side: GET /actors/{{id}}/claims equals the store for all {Actors} actors, and GET /propositions on both hosts "
                + $"holds exactly the {load.Total} acknowledged claims' propositions, each affirmed by its actor; GET /contradictions answers 200.");
        }
        catch
        {
            foreach (var host in hosts)
            {
                host.WriteOutput(output);
            }

            throw;
        }
        finally
        {
            foreach (var client in clients)
            {
                client.Dispose();
            }

            foreach (var host in hosts)
            {
                host.Dispose();
            }
        }
    }

    /// <summary>The longest stretch between two consecutive acknowledgements, and when it began.</summary>
    internal static (TimeSpan Pause, TimeSpan From) LongestPause(ClaimLoad load)
    {
        var ends = load.Acknowledged.Values.Select(a => a.Ended).Order().ToArray();
        var (pause, from) = (TimeSpan.Zero, TimeSpan.Zero);
        for (var i = 1; i < ends.Length; i++)
        {
            if (ends[i] - ends[i - 1] > pause)
            {
                (pause, from) = (ends[i] - ends[i - 1], ends[i - 1]);
            }
        }

        return (pause, from);
    }

    private static async Task<TimeSpan> FirstAcknowledgedAfterAsync(ClaimLoad load, TimeSpan after, Task run)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(60))
        {
            var first = load.Acknowledged.Values.Where(a => a.Started >= after).Select(a => a.Ended).DefaultIfEmpty(TimeSpan.MaxValue).Min();
            if (first != TimeSpan.MaxValue || run.IsCompleted)
            {
                return first;
            }

            await Task.Delay(20);
        }

        throw new TimeoutException("No claim sent after the promotion was acknowledged within 60 s.");
    }

    private static async Task<bool> IsSynchronousAsync(ClaimStorePostgres postgres)
    {
        await using var connection = new NpgsqlConnection(postgres.ServerConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "select count(*) from pg_stat_replication where sync_state = 'sync' and current_setting('synchronous_commit') = 'on'", connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture) == 1;
    }

    /// <summary>
    /// GET /events, paged from the start on each host, serves exactly the store's actor events in
    /// sequence order: none skipped, none repeated, across the promotion. Returns the figures.
    /// </summary>
    private static async Task<string> AssertLogServedInFullAsync(HttpClient[] clients, string connectionString)
    {
        var stored = new List<(long Sequence, string Stream, long Version)>();
        await using (var connection = new NpgsqlConnection(connectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand(
                $"select seq_id, stream_id, version from {StorageTables.Events} "
                + $"where stream_id <> '{ActorStreams.TombstoneStream}' order by seq_id", connection);
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                stored.Add((reader.GetInt64(0), reader.GetString(1), reader.GetInt64(2)));
            }
        }

        foreach (var client in clients)
        {
            var served = new List<(long Sequence, string Stream, long Version)>();
            for (var after = 0L; ;)
            {
                var page = await GetJsonAsync(client, $"/events?afterSequence={after}&limit=1000");
                var events = page["events"]!.AsArray();
                served.AddRange(events.Select(e => (e!["sequence"]!.GetValue<long>(), e["actorId"]!.GetValue<string>(), e["version"]!.GetValue<long>())));
                if (events.Count == 0)
                {
                    break;
                }

                after = page["nextAfterSequence"]!.GetValue<long>();
            }

            Assert.Equal(stored, served);
        }

        var skipped = stored.Count == 0 ? 0 : stored[^1].Sequence - stored[0].Sequence + 1 - stored.Count;
        return $"Global log: {stored.Count} events in strictly increasing sequence, GET /events on both hosts serves exactly them in that order; "
            + $"{skipped} sequence numbers hold no event (appends cut off by the kill, and the numbers a sequence logs ahead of use).";
    }

    private static async Task AssertReadSideMatchesAsync(HttpClient[] clients, ClaimLoad load)
    {
        for (var i = 0; i < load.Actors.Count; i++)
        {
            Assert.Equal(load.AllClaims.Count(c => c.ActorId == load.Actors[i]), await HttpClaims.CountClaimsAsync(clients[i % clients.Length], load.Actors[i]));
        }

        // Every claim names a proposition of its own (object item-wN-i), affirmed by its actor alone.
        var expected = load.AllClaims.Select(c => $"item-w{c.Writer + 1}-{c.Index}|{c.ActorId}").Order(StringComparer.Ordinal).ToArray();
        foreach (var client in clients)
        {
            var propositions = (await GetJsonAsync(client, "/propositions")).AsArray();
            var served = propositions.Select(p => $"{p!["object"]!.GetValue<string>()}|{string.Join(',', p["affirmedBy"]!.AsArray().Select(a => a!.GetValue<string>()))}")
                .Order(StringComparer.Ordinal).ToArray();
            Assert.Equal(expected, served);
            var contradictions = await GetJsonAsync(client, "/contradictions");
            Assert.NotNull(contradictions);
        }
    }

    /// <summary>GET that must answer 200; a 503 (the read side catching up) is asked again for up to 15 s.</summary>
    private static async Task<JsonNode> GetJsonAsync(HttpClient client, string path)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            using var response = await client.GetAsync(new Uri(path, UriKind.Relative), timeout.Token);
            var body = await response.Content.ReadAsStringAsync(timeout.Token);
            if (response.StatusCode == System.Net.HttpStatusCode.ServiceUnavailable && clock.Elapsed < TimeSpan.FromSeconds(15))
            {
                await Task.Delay(250);
                continue;
            }

            Assert.True(response.IsSuccessStatusCode, $"GET {path}: {(int)response.StatusCode} {body}");
            return JsonNode.Parse(body)!;
        }
    }
}

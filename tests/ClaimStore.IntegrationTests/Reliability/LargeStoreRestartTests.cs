using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using ClaimStore.Api.Hosting;
using ClaimStore.IntegrationTests.Infrastructure;
using ClaimStore.Testing;
using Npgsql;
using Xunit.Abstractions;

namespace ClaimStore.IntegrationTests.Reliability;

/// <summary>
/// A host process restarted over a store of many claims answers every read endpoint from what is
/// persisted (decision 0016): soon, with the answers it gave before, and without reading the log.
/// The tight bound (10 s at 10,000,000 claims) is the <c>readside</c> benchmark's; this test's bound
/// is generous, and what makes it fail on a refold at start is the count of log rows read.
/// </summary>
[Collection(ReliabilityCollection.Name)]
public sealed class LargeStoreRestartTests(ITestOutputHelper output)
{
    private const int Actors = 100;
    private const int Claims = 20_000;
    private const int Propositions = 5_000;
    private const int Batch = 500;
    // A Debug host's own start takes up to half a minute on a CI machine busy with the other test projects.
    private static readonly TimeSpan AnswerLimit = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan CatchUpLimit = TimeSpan.FromSeconds(180);

    [Fact]
    public async Task Restart_TwentyThousandClaims_EveryReadEndpointAnswersAsBeforeWithoutReadingTheLog()
    {
        var connectionString = await TestPostgres.CreateDatabaseAsync("bigrestart");
        var clusterId = $"bigrestart-{Guid.NewGuid():N}"[..23];
        await using var host = HostProcess.Start("host", connectionString, OrleansClustering.Localhost, clusterId);
        using var client = HttpClaims.Client(host.BaseAddress);
        try
        {
            await host.WaitHealthyAsync(TimeSpan.FromSeconds(60));
            var actors = Enumerable.Range(0, Actors).Select(i => TestData.ActorId($"big{i}")).ToArray();
            foreach (var actor in actors)
            {
                (await client.PutJsonAsync($"/actors/{actor}", new { name = actor, kind = "state" })).EnsureSuccessStatusCode();
            }

            var random = new Random(20);
            for (var sent = 0; sent < Claims; sent += Batch)
            {
                var claims = new JsonArray([.. Enumerable.Range(sent, Batch).Select(i => Claim(i, actors[random.Next(Actors)], random))]);
                using var response = await client.PostJsonAsync("/claims/batch", new JsonObject { ["claims"] = claims });
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }

            // A contested proposition and an actor with claims: what the readside benchmark asks after each restart.
            // The read side answers 503 until its projector has folded the whole ingest.
            var open = JsonNode.Parse((await FirstAnswersAsync(client, ["/contradictions?status=open"], CatchUpLimit))[0])!;
            var contested = (string)open.AsArray()[0]!["propositionKey"]!;
            var actorId = actors[0];
            var paths = new[]
            {
                "/contradictions?status=open", $"/propositions/{contested}", "/propositions",
                $"/actors/{actorId}/positions", $"/actors/{actorId}/timeline", "/claims?q=Drohnen%20Grenze",
            };
            var before = await AnswersAsync(client, paths);
            Assert.Contains("\"claims\":[{", before[^1], StringComparison.Ordinal);

            await host.StopAsync(TimeSpan.FromSeconds(30));
            var rowsBefore = await LogRowsReadAsync(connectionString);
            var clock = Stopwatch.StartNew();
            host.Restart();
            var after = await FirstAnswersAsync(client, paths, AnswerLimit);
            var answered = clock.Elapsed;
            await host.StopAsync(TimeSpan.FromSeconds(30));
            var rowsRead = await LogRowsReadAsync(connectionString) - rowsBefore;
            output.WriteLine($"{Claims:N0} claims, {open.AsArray().Count:N0} open contradictions; after the restart every endpoint answered in "
                + $"{answered.TotalSeconds:F2} s, and the host read {rowsRead:N0} rows of the log.");

            Assert.Equal(before, after);
            // An actor's grain reads its own stream when it activates, the search its page's events; a refold reads every event.
            Assert.True(rowsRead < Claims / 10, $"The restarted host read {rowsRead:N0} rows of the log; a store of {Claims:N0} claims.");
        }
        catch
        {
            host.WriteOutput(output);
            throw;
        }
    }

    private static JsonObject Claim(int i, string actor, Random random) => new()
    {
        ["actorId"] = actor,
        ["claimId"] = $"00000000-0000-4000-8000-{i.ToString("D12", CultureInfo.InvariantCulture)}",
        ["subject"] = $"subject-{random.Next(Propositions)}",
        ["predicate"] = "sends-drones-to",
        ["object"] = "russia",
        ["stance"] = random.Next(4) == 0 ? "denies" : "affirms",
        ["statedAt"] = new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero).AddMinutes(i).ToString("O", CultureInfo.InvariantCulture),
        ["quote"] = i % 2 == 0 ? "Die Drohnen kamen über die Grenze." : "Keine Drohne hat die Grenze überquert.",
        ["language"] = "de",
    };

    private static async Task<string[]> AnswersAsync(HttpClient client, string[] paths) =>
        await Task.WhenAll(paths.Select(async p =>
        {
            using var response = await client.GetAsync(p);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return await response.Content.ReadAsStringAsync();
        }));

    /// <summary>Asks every path until each has answered 200 once (a host that is not listening yet is asked again).</summary>
    private static async Task<string[]> FirstAnswersAsync(HttpClient client, string[] paths, TimeSpan limit)
    {
        var answers = new string?[paths.Length];
        var clock = Stopwatch.StartNew();
        while (answers.Any(a => a is null))
        {
            Assert.True(clock.Elapsed < limit, $"Not every read endpoint answered within {limit.TotalSeconds:0} s.");
            for (var i = 0; i < paths.Length; i++)
            {
                if (answers[i] is not null)
                {
                    continue;
                }

                try
                {
                    using var response = await client.GetAsync(paths[i]);
                    // 503 is the only other answer a starting host may give; anything else fails the test.
                    Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.ServiceUnavailable, $"{paths[i]} answered {response.StatusCode}.");
                    if (response.StatusCode == HttpStatusCode.OK)
                    {
                        answers[i] = await response.Content.ReadAsStringAsync();
                    }
                }
                catch (HttpRequestException)
                {
                    // Not listening yet.
                }
            }

            await Task.Delay(50);
        }

        return answers!;
    }

    /// <summary>
    /// Rows of the log PostgreSQL has handed out so far, by any scan of <c>mt_events</c>. Read once no other
    /// session is connected: a session's counts reach the statistics when it ends, at the latest.
    /// </summary>
    private static async Task<long> LogRowsReadAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        var clock = Stopwatch.StartNew();
        while (true)
        {
            await using var others = new NpgsqlCommand(
                "select count(*) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()", connection);
            if ((long)(await others.ExecuteScalarAsync())! == 0)
            {
                break;
            }

            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), "The stopped host's sessions did not end within 30 s.");
            await Task.Delay(100);
        }

        await using var command = new NpgsqlCommand(
            """
            select coalesce(t.seq_tup_read, 0) + coalesce(t.idx_tup_fetch, 0)
                 + coalesce((select sum(i.idx_tup_read) from pg_stat_user_indexes i where i.relid = t.relid), 0)
            from pg_stat_user_tables t where t.schemaname = 'claimstore' and t.relname = 'mt_events'
            """, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }
}

using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using ClaimStore.Domain.Claims;
using ClaimStore.IntegrationTests.Infrastructure;
using ClaimStore.Storage;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Xunit.Abstractions;

namespace ClaimStore.IntegrationTests.Reliability;

/// <summary>
/// An append that fails after PostgreSQL handed it sequence numbers (a crash or a dropped
/// connection between the insert and the commit: <see cref="DatabaseOutageTests"/> meets it in
/// about one run in three) leaves a Marten tombstone: a row of stream <c>mt_tombstone</c>, type
/// <c>tombstone</c>, that fills the numbers. Nothing is lost, but every reader of the global log
/// must pass over it.
/// </summary>
[Collection(ReliabilityCollection.Name)]
public sealed class FailedAppendTests(ITestOutputHelper output)
{
    [Fact]
    public async Task AppendFailsAfterDrawingSequenceNumbers_TombstoneLeft_LogAndReadSideStayReadable()
    {
        var connectionString = await TestPostgres.CreateDatabaseAsync("tombstone");
        await using var host = new InProcessHost(connectionString, new Dictionary<string, string?>());
        using var client = host.CreateClient();
        var actor = TestData.ActorId("tomb");
        await HttpClaims.RegisterAsync([client], actor, TimeSpan.FromSeconds(20));
        var before = new PlannedClaim(Guid.NewGuid(), actor, 0, 0);
        Assert.Equal(AttemptKind.Created, (await HttpClaims.PostAsync(client, before, TimeSpan.FromSeconds(10), CancellationToken.None)).Kind);

        // The same state a crash between insert and commit leaves: a unit of work that drew numbers, then failed.
        await using (var storage = new ServiceCollection().AddClaimStoreStorage(connectionString).BuildServiceProvider())
        {
            await using var session = storage.GetRequiredService<IDocumentStore>().LightweightSession();
            session.Events.Append(actor, new ClaimRecorded(Guid.NewGuid(), actor, TestData.Claim().Content, DateTimeOffset.UtcNow));
            session.QueueSqlCommand("select 1/0");
            await Assert.ThrowsAnyAsync<Exception>(() => session.SaveChangesAsync());
        }

        await WaitForTombstoneAsync(connectionString);
        var after = new PlannedClaim(Guid.NewGuid(), actor, 0, 1);
        Assert.Equal(AttemptKind.Created, (await HttpClaims.PostAsync(client, after, TimeSpan.FromSeconds(10), CancellationToken.None)).Kind);

        // The global log pages over the tombstone and shows both claims.
        using var feed = await client.GetAsync(new Uri("/events?afterSequence=0&limit=1000", UriKind.Relative));
        var body = await feed.Content.ReadAsStringAsync();
        output.WriteLine($"GET /events: {(int)feed.StatusCode} {body[..Math.Min(300, body.Length)]}");
        Assert.Equal(HttpStatusCode.OK, feed.StatusCode);
        var ids = JsonNode.Parse(body)!["events"]!.AsArray().Select(e => e!["data"]?["claimId"]?.GetValue<string>()).ToArray();
        Assert.Contains(before.ClaimId.ToString(), ids);
        Assert.Contains(after.ClaimId.ToString(), ids);

        // The read side folds past it: the claim recorded after it is visible (read-your-writes).
        using var proposition = await client.GetAsync(new Uri($"/propositions/reliability:holds:item-w1-1", UriKind.Relative));
        output.WriteLine($"GET /propositions/...: {(int)proposition.StatusCode} {await proposition.Content.ReadAsStringAsync()}");
        Assert.Equal(HttpStatusCode.OK, proposition.StatusCode);

        // And an operator's rebuild folds the whole log.
        var report = await ProjectionRebuild.RunAsync(
            host.Services.GetRequiredService<IDocumentStore>(), host.Services.GetRequiredService<NpgsqlDataSource>(), TextWriter.Null, CancellationToken.None);
        Assert.Equal(1, report.Actors);
    }

    /// <summary>Marten writes the tombstone off the failed save's path: wait until it is there.</summary>
    private static async Task WaitForTombstoneAsync(string connectionString)
    {
        var clock = Stopwatch.StartNew();
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            $"select count(*) from {StorageTables.Events} where type = 'tombstone'", connection);
        while (Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture) == 0)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), "Marten wrote no tombstone for the failed append.");
            await Task.Delay(100);
        }
    }
}

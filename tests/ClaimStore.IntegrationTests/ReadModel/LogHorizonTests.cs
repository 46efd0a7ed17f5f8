using ClaimStore.Domain.Claims;
using ClaimStore.Grains.Actors;
using ClaimStore.IntegrationTests.Infrastructure;
using ClaimStore.Storage;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace ClaimStore.IntegrationTests.ReadModel;

/// <summary>
/// Appends commit concurrently (decision 0007): an append can draw a lower sequence number than
/// another one and commit after it. Readers of the log must wait for it, never pass it.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class LogHorizonTests(ClusterFixture fixture)
{
    private const string InFlightKey = "inflight:sends-drones-to:russia";

    [Fact]
    public async Task Projector_AppendCommittingAfterAHigherOne_IsFoldedInOrderNotSkipped()
    {
        var tables = fixture.Storage.GetRequiredService<ReadSideTables>();
        await tables.EnsureCreatedAsync(CancellationToken.None);
        await ReadSideFolding.FoldAsync(tables, fixture.Store);

        await using var inFlight = await InFlightAppend.StartAsync(fixture.Store, fixture.ConnectionString, TestData.ActorId("early"));
        var (later, laterSequence) = await RecordAsync("later");
        Assert.True(laterSequence > inFlight.Sequence);

        var held = await ReadSideFolding.FoldAsync(tables, fixture.Store);
        Assert.True(held < inFlight.Sequence, $"folded up to {held}, past the append in flight at {inFlight.Sequence}");

        await inFlight.CommitAsync();
        var caughtUp = await ReadSideFolding.FoldAsync(tables, fixture.Store);

        Assert.True(caughtUp >= laterSequence);
        var claims = (await tables.PropositionAsync(InFlightKey, CancellationToken.None))!.Stances.Select(s => s.ClaimId).ToHashSet();
        Assert.Contains(inFlight.ClaimId, claims);
        Assert.Contains(later, claims);
    }

    [Fact]
    public async Task Horizon_AppendInFlight_StaysBelowItsNumbersUntilItRollsBack()
    {
        await using var inFlight = await InFlightAppend.StartAsync(fixture.Store, fixture.ConnectionString, TestData.ActorId("doomed"));
        var (_, laterSequence) = await RecordAsync("later");
        await using var connection = new NpgsqlConnection(fixture.ConnectionString);
        await connection.OpenAsync();

        var (horizon, head) = await LogHorizon.ReadAsync(connection, CancellationToken.None);
        var (waited, complete) = await LogHorizon.ReadPastHeadAsync(connection, TimeSpan.FromMilliseconds(200), CancellationToken.None);
        Assert.True(horizon < inFlight.Sequence);
        Assert.True(head >= laterSequence);
        Assert.False(complete);
        Assert.True(waited < inFlight.Sequence);

        await inFlight.RollbackAsync();
        (horizon, _) = await LogHorizon.ReadAsync(connection, CancellationToken.None);
        (waited, complete) = await LogHorizon.ReadPastHeadAsync(connection, TimeSpan.FromSeconds(5), CancellationToken.None);
        Assert.True(horizon >= laterSequence);
        Assert.True(complete);
        Assert.True(waited >= laterSequence);
    }

    [Fact]
    public async Task Horizon_NothingInFlight_IsTheLastNumberDrawn()
    {
        var (_, sequence) = await RecordAsync("alone");
        await using var connection = new NpgsqlConnection(fixture.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            $"select last_value from {StorageTables.EventSequence}", connection);
        var lastDrawn = (long)(await command.ExecuteScalarAsync())!;

        var (horizon, head) = await LogHorizon.ReadAsync(connection, CancellationToken.None);

        // Tests of one collection run one at a time: nothing is in flight, so the horizon is the sequence's end.
        Assert.Equal(lastDrawn, horizon);
        Assert.True(lastDrawn >= sequence);
        Assert.True(head >= sequence);
    }

    [Fact]
    public async Task Append_GateHeldExclusively_WaitsAtItsAnnouncementBeforeDrawingANumber()
    {
        var actorId = TestData.ActorId("gated");
        var grain = fixture.Cluster.GrainFactory.GetGrain<IActorGrain>(actorId);
        await grain.RegisterAsync(TestData.Profile(actorId));
        await using var connection = new NpgsqlConnection(fixture.ConnectionString);
        await connection.OpenAsync();
        await using var exclusive = new NpgsqlConnection(fixture.ConnectionString);
        await exclusive.OpenAsync();
        await using var gate = await LogHorizon.BeginExclusiveAsync(exclusive, CancellationToken.None);
        var before = await LastDrawnAsync(connection);

        var append = grain.RecordClaimsAsync([TestData.Claim("gated")]);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (await WaitingAdvisoryLocksAsync(connection) == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "The append never waited for the gate.");
            await Task.Delay(10);
        }

        // The announcement is the first statement of the append's batch: waiting there, it has drawn nothing.
        Assert.Equal(before, await LastDrawnAsync(connection));
        Assert.Contains("set_config('idle_in_transaction_session_timeout', '10000', true)", await WaitingStatementAsync(connection));
        Assert.False(append.IsCompleted);
        await gate.CommitAsync();
        Assert.Equal(RecordStatus.Created, (await append)[0].Status);
        Assert.True(await LastDrawnAsync(connection) > before);
    }

    [Fact]
    public async Task Horizon_AnnouncedAppendIdleLongerThanItsLimit_IsEndedByPostgreSqlAndPassed()
    {
        await using var inFlight = await InFlightAppend.StartAsync(
            fixture.Store, fixture.ConnectionString, TestData.ActorId("frozen"), idleTimeoutSeconds: 1);
        var (_, laterSequence) = await RecordAsync("later");
        await using var connection = new NpgsqlConnection(fixture.ConnectionString);
        await connection.OpenAsync();
        Assert.True((await LogHorizon.ReadAsync(connection, CancellationToken.None)).Horizon < inFlight.Sequence);

        // The appender stays silent, as a frozen host would: PostgreSQL ends its transaction after 1 s.
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while ((await LogHorizon.ReadAsync(connection, CancellationToken.None)).Horizon < laterSequence)
        {
            Assert.True(DateTime.UtcNow < deadline, "The idle append still holds the horizon back.");
            await Task.Delay(100);
        }

        await Assert.ThrowsAnyAsync<Exception>(inFlight.CommitAsync);
        await using var command = new NpgsqlCommand(
            $"select count(*) from {StorageTables.Events} where stream_id = @actor", connection);
        command.Parameters.AddWithValue("actor", inFlight.ActorId);
        Assert.Equal(0L, (long)(await command.ExecuteScalarAsync())!);
    }

    private static async Task<string> WaitingStatementAsync(NpgsqlConnection connection)
    {
        await using var command = new NpgsqlCommand(
            "select string_agg(a.query, ' | ') from pg_stat_activity a join pg_locks l on l.pid = a.pid "
            + "where l.locktype = 'advisory' and not l.granted and l.database = (select oid from pg_database where datname = current_database())",
            connection);
        return (string)(await command.ExecuteScalarAsync())!;
    }

    private static async Task<long> LastDrawnAsync(NpgsqlConnection connection)
    {
        await using var command = new NpgsqlCommand(
            $"select case when is_called then last_value else 0 end from {StorageTables.EventSequence}", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static async Task<long> WaitingAdvisoryLocksAsync(NpgsqlConnection connection)
    {
        await using var command = new NpgsqlCommand(
            "select count(*) from pg_locks where locktype = 'advisory' and not granted "
            + "and database = (select oid from pg_database where datname = current_database())", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private async Task<(Guid ClaimId, long Sequence)> RecordAsync(string name)
    {
        var actorId = TestData.ActorId(name);
        var grain = fixture.Cluster.GrainFactory.GetGrain<IActorGrain>(actorId);
        await grain.RegisterAsync(TestData.Profile(actorId));
        var claim = TestData.Claim("inflight");
        var outcome = (await grain.RecordClaimsAsync([claim]))[0];
        Assert.Equal(RecordStatus.Created, outcome.Status);
        await using var connection = new NpgsqlConnection(fixture.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            $"select seq_id from {StorageTables.Events} where id = @id", connection);
        command.Parameters.AddWithValue("id", claim.ClaimId);
        return (claim.ClaimId, (long)(await command.ExecuteScalarAsync())!);
    }
}

using ClaimStore.Domain.Actors;
using ClaimStore.Domain.Claims;
using ClaimStore.Grains.Actors;
using ClaimStore.IntegrationTests.Infrastructure;
using ClaimStore.Storage;
using Marten;

namespace ClaimStore.IntegrationTests.Actors;

[Collection(ClusterCollection.Name)]
public sealed class ActorGrainTests(ClusterFixture fixture)
{
    private IActorGrain Grain(string actorId) => fixture.Cluster.GrainFactory.GetGrain<IActorGrain>(actorId);

    private async Task<IActorGrain> RegisteredAsync(string actorId)
    {
        var grain = Grain(actorId);
        await grain.RegisterAsync(TestData.Profile());
        return grain;
    }

    private async Task<IReadOnlyList<JasperFx.Events.IEvent>> StoredEventsAsync(string actorId)
    {
        await using var session = fixture.Store.QuerySession();
        return await session.Events.FetchStreamAsync(actorId);
    }

    [Fact]
    public async Task GetActorGrain_AnyActor_AddressesTheGrainGetGrainAddresses()
    {
        var grains = fixture.Cluster.GrainFactory;
        var actorIds = new[] { TestData.ActorId(), TestData.ActorId(), "nato" };

        // The first call resolves the types; the ones after reuse them: both must address the same grain.
        var cached = actorIds.Select(grains.GetActorGrain).Concat(actorIds.Select(grains.GetActorGrain)).ToArray();

        var expected = actorIds.Concat(actorIds).Select(id => grains.GetGrain<IActorGrain>(id)).ToArray();
        Assert.Equal(expected.Select(g => g.GetGrainId()), cached.Select(g => g.GetGrainId()));
        Assert.Equal(
            expected.Select(g => ((GrainReference)g).InterfaceType),
            cached.Select(g => ((GrainReference)g).InterfaceType));
        await cached[3].RegisterAsync(TestData.Profile());
        Assert.True((await expected[0].GetPositionsAsync(null, null)).IsRegistered);
    }

    [Fact]
    public async Task RecordClaims_NewClaim_IsCommittedToTheActorsStream()
    {
        var actorId = TestData.ActorId();
        var grain = await RegisteredAsync(actorId);
        var claim = TestData.Claim();

        var outcome = (await grain.RecordClaimsAsync([claim]))[0];

        Assert.Equal(RecordStatus.Created, outcome.Status);
        var stored = await StoredEventsAsync(actorId);
        Assert.Equal([1L, 2], stored.Select(e => e.Version));
        var recorded = Assert.IsType<ClaimRecorded>(stored[1].Data);
        Assert.Equal(claim.ClaimId, recorded.ClaimId);
        Assert.Equal(claim.ClaimId, stored[1].Id);
        Assert.Equal(claim.Content, recorded.Claim);
    }

    [Fact]
    public async Task RecordClaims_SameClaimIdTwice_AppendsOnce()
    {
        var actorId = TestData.ActorId();
        var grain = await RegisteredAsync(actorId);
        var claim = TestData.Claim();

        var first = (await grain.RecordClaimsAsync([claim]))[0];
        var retry = (await grain.RecordClaimsAsync([claim]))[0];

        Assert.Equal(RecordStatus.Unchanged, retry.Status);
        Assert.Equal(first.Claim!.Version, retry.Claim!.Version);
        Assert.Equal(2, (await StoredEventsAsync(actorId)).Count);
    }

    [Fact]
    public async Task RecordClaims_ClaimIdOfAnotherActor_IsConflictNamingThatActor()
    {
        var owner = TestData.ActorId("owner");
        var other = TestData.ActorId("other");
        var claim = TestData.Claim();
        await (await RegisteredAsync(owner)).RecordClaimsAsync([claim]);

        var outcome = (await (await RegisteredAsync(other)).RecordClaimsAsync([claim]))[0];

        Assert.Equal(RecordStatus.Conflict, outcome.Status);
        Assert.Contains(owner, outcome.Detail, StringComparison.Ordinal);
        Assert.Single(await StoredEventsAsync(other));
    }

    [Fact]
    public async Task RecordClaims_ClaimIdTakenElsewhereInABatch_StoresTheOthers()
    {
        var owner = TestData.ActorId("owner");
        var other = TestData.ActorId("other");
        var taken = TestData.Claim();
        await (await RegisteredAsync(owner)).RecordClaimsAsync([taken]);
        var fresh = TestData.Claim();

        var outcomes = await (await RegisteredAsync(other)).RecordClaimsAsync([fresh, taken]);

        Assert.Equal([RecordStatus.Created, RecordStatus.Conflict], outcomes.Select(o => o.Status));
        Assert.Equal([1L, 2], (await StoredEventsAsync(other)).Select(e => e.Version));
    }

    [Fact]
    public async Task RecordClaims_UnregisteredActor_IsActorNotFoundAndStoresNothing()
    {
        var actorId = TestData.ActorId("ghost");

        var outcome = (await Grain(actorId).RecordClaimsAsync([TestData.Claim()]))[0];

        Assert.Equal(RecordStatus.ActorNotFound, outcome.Status);
        Assert.Empty(await StoredEventsAsync(actorId));
    }

    [Fact]
    public async Task RecordClaims_StreamWrittenBehindTheGrainsBack_ReloadsAndAppendsAfterIt()
    {
        var actorId = TestData.ActorId();
        var grain = await RegisteredAsync(actorId);
        await grain.RecordClaimsAsync([TestData.Claim()]);
        // A second writer (as a duplicate activation during a partition would be) moves the stream on.
        var foreign = TestData.Claim("iran");
        await fixture.Streams.AppendAsync(actorId, 2,
            [new ClaimRecorded(foreign.ClaimId, actorId, foreign.Content, DateTimeOffset.UtcNow)]);

        var outcome = (await grain.RecordClaimsAsync([TestData.Claim("north-korea")]))[0];

        Assert.Equal(RecordStatus.Created, outcome.Status);
        Assert.Equal(4, outcome.Claim!.Version);
        Assert.Equal([1L, 2, 3, 4], (await StoredEventsAsync(actorId)).Select(e => e.Version));
        Assert.NotNull((await grain.GetSnapshotAsync()).FindClaim(foreign.ClaimId));
    }

    [Fact]
    public async Task AppendAsync_TwoWritersAtTheSameVersion_OnlyOneWins()
    {
        var actorId = TestData.ActorId();
        await RegisteredAsync(actorId);
        var writers = Enumerable.Range(0, 2).Select(_ => TestData.Claim()).Select(async claim =>
        {
            try
            {
                await fixture.Streams.AppendAsync(actorId, 1,
                    [new ClaimRecorded(claim.ClaimId, actorId, claim.Content, DateTimeOffset.UtcNow)]);
                return true;
            }
            catch (StreamVersionConflictException)
            {
                return false;
            }
        });

        var won = await Task.WhenAll(writers);

        Assert.Equal(1, won.Count(w => w));
        Assert.Equal([1L, 2], (await StoredEventsAsync(actorId)).Select(e => e.Version));
    }

    [Fact]
    public async Task RecordClaims_ManyConcurrentCallers_GetContiguousVersions()
    {
        var actorId = TestData.ActorId();
        var grain = await RegisteredAsync(actorId);
        var claims = Enumerable.Range(0, 40).Select(_ => TestData.Claim()).ToArray();

        var outcomes = await Task.WhenAll(claims.Select(c => grain.RecordClaimsAsync([c])));

        Assert.All(outcomes, o => Assert.Equal(RecordStatus.Created, o[0].Status));
        Assert.Equal(Enumerable.Range(2, 40).Select(v => (long)v), outcomes.Select(o => o[0].Claim!.Version).Order());
        Assert.Equal(41, (await StoredEventsAsync(actorId)).Count);
        // Group commit: calls that arrived while an append was in flight shared the next transaction.
        Assert.True(await TransactionsHoldingAsync(actorId) < 41);
    }

    [Fact]
    public async Task RecordClaims_ConcurrentCallsToManyActors_ShareTransactions()
    {
        var actors = Enumerable.Range(0, 30).Select(_ => TestData.ActorId()).ToArray();
        await Task.WhenAll(actors.Select(RegisteredAsync));

        var outcomes = await Task.WhenAll(actors.Select(a => Grain(a).RecordClaimsAsync([TestData.Claim()])));

        Assert.All(outcomes, o => Assert.Equal(RecordStatus.Created, o[0].Status));
        await using var connection = new Npgsql.NpgsqlConnection(fixture.ConnectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand(
            "select count(distinct xmin::text) from claimstore.mt_events where stream_id = any(@actors) and type = 'ClaimRecorded'", connection);
        command.Parameters.AddWithValue("actors", actors);
        Assert.True((long)(await command.ExecuteScalarAsync())! < actors.Length);
    }

    [Fact]
    public async Task Snapshot_AfterManyClaims_IsWrittenAndRehydratesTheSameState()
    {
        var actorId = TestData.ActorId();
        var grain = await RegisteredAsync(actorId);
        for (var batch = 0; batch < 6; batch++)
        {
            await grain.RecordClaimsAsync([.. Enumerable.Range(0, 100).Select(_ => TestData.Claim())]);
        }

        var snapshotVersion = await WaitForSnapshotAsync(actorId, atLeast: 500);
        var before = await grain.GetSnapshotAsync();
        await RestartAllSilosAsync();
        var after = await fixture.Cluster.GrainFactory.GetGrain<IActorGrain>(actorId).GetSnapshotAsync();

        Assert.InRange(snapshotVersion, 500, 601);
        Assert.Equal(601, after.Version);
        Assert.Equal(before.Claims, after.Claims);
    }

    [Fact]
    public async Task Snapshot_Unreadable_ActivationFallsBackToTheStream()
    {
        var actorId = TestData.ActorId();
        var grain = await RegisteredAsync(actorId);
        await grain.RecordClaimsAsync([.. Enumerable.Range(0, 600).Select(_ => TestData.Claim())]);
        await WaitForSnapshotAsync(actorId, atLeast: 500);
        var before = await grain.GetSnapshotAsync();
        await ExecuteAsync($"update claimstore.actor_snapshot_segments set data = '\\x00ff00ff'::bytea where actor_id = '{actorId}' and segment = 0");

        await RestartAllSilosAsync();
        var after = await fixture.Cluster.GrainFactory.GetGrain<IActorGrain>(actorId).GetSnapshotAsync();

        Assert.Equal(before.Claims, after.Claims);
    }

    [Fact]
    public async Task Snapshot_Later_RewritesOnlyTheLastChunkAndChunksWithRetractions()
    {
        var actorId = TestData.ActorId();
        var grain = await RegisteredAsync(actorId);
        var first = Enumerable.Range(0, 1100).Select(_ => TestData.Claim()).ToArray();
        await grain.RecordClaimsAsync([.. first]);
        await WaitForSnapshotAsync(actorId, atLeast: 1101);
        await grain.RecordClaimsAsync([.. Enumerable.Range(0, 600).Select(_ => TestData.Claim())]);
        await WaitForSnapshotAsync(actorId, atLeast: 1701);
        var untouched = await SegmentVersionsAsync(actorId);
        await grain.RetractClaimAsync(first[5].ClaimId, null);
        await grain.RecordClaimsAsync([.. Enumerable.Range(0, 600).Select(_ => TestData.Claim())]);
        await WaitForSnapshotAsync(actorId, atLeast: 2302);
        var retracted = await SegmentVersionsAsync(actorId);
        var before = await grain.GetSnapshotAsync();

        await RestartAllSilosAsync();
        var after = await fixture.Cluster.GrainFactory.GetGrain<IActorGrain>(actorId).GetSnapshotAsync();

        Assert.Equal([1101L, 1701], untouched);
        Assert.Equal([2302L, 2302, 2302], retracted);
        Assert.Equal(before.Claims, after.Claims);
        Assert.True(after.FindClaim(first[5].ClaimId)!.IsRetracted);
    }

    private async Task<long[]> SegmentVersionsAsync(string actorId)
    {
        await using var connection = new Npgsql.NpgsqlConnection(fixture.ConnectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand(
            "select version from claimstore.actor_snapshot_segments where actor_id = @actor and segment >= 0 order by segment", connection);
        command.Parameters.AddWithValue("actor", actorId);
        var versions = new List<long>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            versions.Add(reader.GetInt64(0));
        }

        return [.. versions];
    }

    private async Task RestartAllSilosAsync()
    {
        foreach (var silo in fixture.Cluster.Silos.ToList())
        {
            await fixture.Cluster.RestartSiloAsync(silo);
        }

        await fixture.Cluster.WaitForLivenessToStabilizeAsync();
    }

    private async Task<long> WaitForSnapshotAsync(string actorId, long atLeast)
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            await using var connection = new Npgsql.NpgsqlConnection(fixture.ConnectionString);
            await connection.OpenAsync();
            await using var command = new Npgsql.NpgsqlCommand(
                "select coalesce(max(version), 0) from claimstore.actor_snapshot_segments where actor_id = @actor and segment = -1", connection);
            command.Parameters.AddWithValue("actor", actorId);
            var version = (long)(await command.ExecuteScalarAsync())!;
            if (version >= atLeast)
            {
                return version;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"No snapshot of {actorId} at version {atLeast} or later.");
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = new Npgsql.NpgsqlConnection(fixture.ConnectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    // The system column xmin is the id of the transaction that inserted the row.
    private async Task<long> TransactionsHoldingAsync(string actorId)
    {
        await using var connection = new Npgsql.NpgsqlConnection(fixture.ConnectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand(
            "select count(distinct xmin::text) from claimstore.mt_events where stream_id = @actor", connection);
        command.Parameters.AddWithValue("actor", actorId);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task Retract_TwiceOnTheSameClaim_AppendsOneRetraction()
    {
        var actorId = TestData.ActorId();
        var grain = await RegisteredAsync(actorId);
        var claim = TestData.Claim();
        await grain.RecordClaimsAsync([claim]);

        var first = await grain.RetractClaimAsync(claim.ClaimId, "misattributed");
        var second = await grain.RetractClaimAsync(claim.ClaimId, "misattributed");

        Assert.Equal(RetractStatus.Retracted, first.Status);
        Assert.Equal(RetractStatus.AlreadyRetracted, second.Status);
        Assert.Equal(3, (await StoredEventsAsync(actorId)).Count);
        Assert.Equal(first.Claim!.RetractedAt, second.Claim!.RetractedAt);
    }

    [Fact]
    public async Task Register_SameProfileTwice_AppendsOnce()
    {
        var actorId = TestData.ActorId();

        var first = await Grain(actorId).RegisterAsync(TestData.Profile());
        var second = await Grain(actorId).RegisterAsync(TestData.Profile());
        var renamed = await Grain(actorId).RegisterAsync(TestData.Profile("North Atlantic Treaty Organization"));

        Assert.Equal(
            [RegistrationStatus.Created, RegistrationStatus.Unchanged, RegistrationStatus.Updated],
            new[] { first.Status, second.Status, renamed.Status });
        Assert.Equal(2, (await StoredEventsAsync(actorId)).Count);
    }

    [Fact]
    public async Task Snapshot_AfterEverySiloRestarted_IsRehydratedFromTheStream()
    {
        var actorId = TestData.ActorId();
        var grain = await RegisteredAsync(actorId);
        var claims = new[] { TestData.Claim(), TestData.Claim("iran") };
        await grain.RecordClaimsAsync([.. claims]);
        await grain.RetractClaimAsync(claims[0].ClaimId, null);
        var before = await grain.GetSnapshotAsync();

        await RestartAllSilosAsync();
        var after = await fixture.Cluster.GrainFactory.GetGrain<IActorGrain>(actorId).GetSnapshotAsync();

        Assert.Equal(before.Version, after.Version);
        Assert.Equal(before.Profile, after.Profile);
        Assert.Equal(before.Claims, after.Claims);
        Assert.True(after.FindClaim(claims[0].ClaimId)!.IsRetracted);
    }
}

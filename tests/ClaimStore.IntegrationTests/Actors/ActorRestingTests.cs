using System.Text.Json;
using ClaimStore.Domain.Actors;
using ClaimStore.Domain.Claims;
using ClaimStore.Domain.Positions;
using ClaimStore.Domain.Timelines;
using ClaimStore.Grains.Actors;
using ClaimStore.IntegrationTests.Infrastructure;
using ClaimStore.Storage;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;
using Orleans.TestingHost;

namespace ClaimStore.IntegrationTests.Actors;

/// <summary>Actor grains that rest (hold no claims) decide, answer and snapshot as whole ones do (decision 0017).</summary>
[Collection(ClusterCollection.Name)]
public sealed class ActorRestingTests(ClusterFixture fixture)
{
    private async Task<IActorGrain> RegisteredAsync(string actorId)
    {
        var grain = fixture.Cluster.GrainFactory.GetGrain<IActorGrain>(actorId);
        await grain.RegisterAsync(TestData.Profile());
        return grain;
    }

    private async Task<ActorState> StreamFoldedAsync(string actorId)
    {
        await using var session = fixture.Store.QuerySession();
        var events = await session.Events.FetchStreamAsync(actorId);
        return ActorDecider.Fold(ActorState.Empty(actorId), events.Select(e => (IActorEvent)e.Data));
    }

    private static ClaimSubmission Claim(int day, Stance stance = Stance.Affirms, string subject = "china") =>
        TestData.Claim(subject, stance, day);

    [Fact]
    public async Task RecordClaims_RetryAfterRest_IsUnchangedAndOtherContentIsConflict()
    {
        var actorId = TestData.ActorId();
        var grain = await RegisteredAsync(actorId);
        var claim = Claim(4);
        var first = (await grain.RecordClaimsAsync([claim, Claim(5)]))[0];
        Assert.True(await grain.RestAsync());

        var retry = await grain.RecordClaimsAsync([claim, Claim(6)]);
        Assert.True(await grain.RestAsync());
        var changed = (await grain.RecordClaimsAsync([claim with { Content = claim.Content with { Stance = Stance.Denies } }]))[0];
        var registration = await grain.RegisterAsync(TestData.Profile());

        Assert.Equal([RecordStatus.Unchanged, RecordStatus.Created], retry.Select(o => o.Status));
        Assert.Equal(first.Claim!.Version, retry[0].Claim!.Version);
        Assert.Equal(RecordStatus.Conflict, changed.Status);
        Assert.Equal(3, registration.ClaimCount);
        Assert.Equal(3, (await StreamFoldedAsync(actorId)).ClaimCount);
    }

    [Fact]
    public async Task RecordClaims_ClaimIdOfAnotherActorWhileResting_IsConflictNamingThatActor()
    {
        var (owner, other) = (TestData.ActorId("owner"), TestData.ActorId("other"));
        var claim = Claim(4);
        await (await RegisteredAsync(owner)).RecordClaimsAsync([claim]);
        var grain = await RegisteredAsync(other);
        await grain.RecordClaimsAsync([Claim(5)]);
        Assert.True(await grain.RestAsync());

        var outcomes = await grain.RecordClaimsAsync([claim, Claim(6)]);

        Assert.Equal([RecordStatus.Conflict, RecordStatus.Created], outcomes.Select(o => o.Status));
        Assert.Contains(owner, outcomes[0].Detail);
        Assert.Equal(2, (await StreamFoldedAsync(other)).ClaimCount);
    }

    [Fact]
    public async Task Retract_ClaimRecordedBeforeRest_RetractsItOnce()
    {
        var actorId = TestData.ActorId();
        var grain = await RegisteredAsync(actorId);
        var claim = Claim(4);
        await grain.RecordClaimsAsync([claim, Claim(5, subject: "iran")]);
        Assert.True(await grain.RestAsync());

        var retracted = await grain.RetractClaimAsync(claim.ClaimId, "misattributed");
        Assert.True(await grain.RestAsync());
        var again = await grain.RetractClaimAsync(claim.ClaimId, null);

        Assert.Equal(RetractStatus.Retracted, retracted.Status);
        Assert.Equal(RetractStatus.AlreadyRetracted, again.Status);
        Assert.Equal(claim.ClaimId, Assert.Single((await StreamFoldedAsync(actorId)).Claims, c => c.IsRetracted).ClaimId);
    }

    [Fact]
    public async Task Positions_ClaimsRecordedWhileResting_EqualTheStreamFoldedAtEveryTime()
    {
        var actorId = TestData.ActorId();
        var grain = await RegisteredAsync(actorId);
        var early = Claim(10, Stance.Denies);
        await grain.RecordClaimsAsync([early, Claim(3, subject: "iran")]);
        var midway = DateTimeOffset.UtcNow;
        Assert.True(await grain.RestAsync());
        // Back-dated, later and retracted claims, all while the grain holds none of the earlier ones.
        await grain.RecordClaimsAsync([Claim(2), Claim(20, Stance.Affirms), Claim(7, Stance.Denies, "iran")]);
        await grain.RetractClaimAsync(early.ClaimId, null);
        Assert.True(await grain.RestAsync());

        var whole = await StreamFoldedAsync(actorId);
        foreach (var (asOf, knownAt) in new (DateTimeOffset?, DateTimeOffset?)[]
                 { (null, null), (new DateTimeOffset(2024, 12, 8, 0, 0, 0, TimeSpan.Zero), null), (null, midway) })
        {
            var positions = await grain.GetPositionsAsync(asOf, knownAt);
            Assert.True(await grain.RestAsync());
            Assert.Equal(Position.ComputeAll(whole.Claims, asOf, knownAt), positions.Positions);
            var timeline = await grain.GetTimelineAsync(null, knownAt);
            Assert.True(await grain.RestAsync());
            Assert.Equal(
                JsonSerializer.Serialize(Timeline.Compute(whole.Claims, knownAt, null)), JsonSerializer.Serialize(timeline.Propositions));
        }
    }

    [Fact]
    public async Task Snapshot_DueWhileResting_IsSavedWholeAndRehydrates()
    {
        var actorId = TestData.ActorId();
        var grain = await RegisteredAsync(actorId);
        await grain.RecordClaimsAsync([.. Enumerable.Range(0, 50).Select(i => Claim(1 + (i % 28)))]);
        // The grain rests from here on: writes keep it resting, so the snapshot comes due while it rests.
        Assert.True(await grain.RestAsync());
        for (var sent = 50; sent <= ActorSnapshots.Distance; sent += 50)
        {
            await grain.RecordClaimsAsync([.. Enumerable.Range(0, 50).Select(i => Claim(1 + (i % 28)))]);
            Assert.False(await grain.RestAsync());
        }

        var snapshots = ((InProcessSiloHandle)fixture.Cluster.Primary!).SiloHost.Services.GetRequiredService<ActorSnapshots>();
        var deadline = DateTime.UtcNow.AddSeconds(20);
        ActorState? snapshot;
        while ((snapshot = await snapshots.LoadAsync(actorId, CancellationToken.None)) is null && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        Assert.NotNull(snapshot);
        Assert.True(snapshot.IsWhole);
        var folded = await StreamFoldedAsync(actorId);
        Assert.Equal(actorId, snapshot.ActorId);
        Assert.Equal(folded.Claims.Take(snapshot.ClaimCount).Select(c => (c.ClaimId, c.Hash)), snapshot.Claims.Select(c => (c.ClaimId, c.Hash)));
        Assert.True(snapshot.Version >= ActorSnapshots.Distance, $"snapshot at version {snapshot.Version}");
    }
}

/// <summary>The silo's ledger budget makes the least recently used grains rest, and their answers stay the same.</summary>
[Collection(SmallBudgetClusterCollection.Name)]
public sealed class LedgerBudgetTests(SmallBudgetClusterFixture fixture)
{
    [Fact]
    public async Task Budget_LedgersOverIt_LeastRecentlyUsedRestAndAnswersStayTheSame()
    {
        var actorIds = Enumerable.Range(0, 10).Select(i => TestData.ActorId($"budget{i}")).ToArray();
        var before = new Dictionary<string, ActorPositions>();
        foreach (var actorId in actorIds)
        {
            var grain = fixture.Cluster.GrainFactory.GetGrain<IActorGrain>(actorId);
            await grain.RegisterAsync(TestData.Profile());
            await grain.RecordClaimsAsync([.. Enumerable.Range(0, 300).Select(i => TestData.Claim($"subject-{i}", day: 1 + (i % 28)))]);
            before[actorId] = await grain.GetPositionsAsync(null, null);
        }

        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (fixture.Budgets.Any(b => b.Bytes > b.Limit) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        var budgets = fixture.Budgets.ToArray();
        Assert.All(budgets, b => Assert.True(b.Bytes <= b.Limit, $"{b.Bytes:N0} bytes held, budget {b.Limit:N0}"));
        Assert.True(budgets.Sum(b => b.Rested) > 0);

        // Placement is Orleans' choice: on each silo, of the actors it got (in the order they were last used), the
        // least recently used rested and the most recent one did not. Two ledgers of 300 claims exceed the budget.
        var management = fixture.Cluster.GrainFactory.GetGrain<IManagementGrain>(0);
        var homes = await Task.WhenAll(actorIds.Select(async a =>
            (Actor: a, Home: await management.GetActivationAddress(fixture.Cluster.GrainFactory.GetGrain<IActorGrain>(a)))));
        foreach (var silo in fixture.Cluster.Silos.Cast<InProcessSiloHandle>())
        {
            var budget = silo.SiloHost.Services.GetRequiredService<LedgerBudget>();
            var mine = homes.Where(h => h.Home == silo.SiloAddress).Select(h => h.Actor).ToArray();
            if (mine.Length > 1)
            {
                Assert.False(budget.Holds(mine[0]), $"{mine[0]}, the least recently used of {mine.Length} actors on {silo.Name}, still holds its ledger.");
                Assert.True(budget.Holds(mine[^1]), $"{mine[^1]}, the most recently used on {silo.Name}, rested.");
            }
        }

        foreach (var actorId in actorIds)
        {
            var positions = await fixture.Cluster.GrainFactory.GetGrain<IActorGrain>(actorId).GetPositionsAsync(null, null);
            // ImmutableArray compares by reference: compare the positions one by one.
            Assert.Equal<Position>(before[actorId].Positions, positions.Positions);
            Assert.Equal(before[actorId].Version, positions.Version);
        }
    }
}

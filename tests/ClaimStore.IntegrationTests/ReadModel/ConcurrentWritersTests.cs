using System.Collections.Concurrent;
using ClaimStore.Api.ReadModel;
using ClaimStore.Domain.Claims;
using ClaimStore.Domain.Contradictions;
using ClaimStore.Domain.Propositions;
using ClaimStore.Grains.Actors;
using ClaimStore.IntegrationTests.Infrastructure;
using ClaimStore.Storage;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace ClaimStore.IntegrationTests.ReadModel;

[Collection(ClusterCollection.Name)]
public sealed class ConcurrentWritersTests(ClusterFixture fixture, ITestOutputHelper output)
{
    /// <summary>
    /// Many actors on both silos write about one proposition at once while a projector folds the
    /// log into the read side's tables in small steps. The tables must end with exactly the answer
    /// computed from the set of acknowledged claims, and a rebuild from the log must give the same
    /// records and ids.
    /// </summary>
    [Fact]
    public async Task ManyActorsOnOneProposition_LiveFoldEqualsTheClaimsAndARebuild()
    {
        var subject = TestData.ActorId("contested");
        var actors = Enumerable.Range(0, 12).Select(i => TestData.ActorId($"writer{i}")).ToArray();
        foreach (var actor in actors)
        {
            await fixture.Cluster.GrainFactory.GetGrain<IActorGrain>(actor).RegisterAsync(TestData.Profile(actor));
        }

        var acknowledged = new ConcurrentDictionary<Guid, ClaimFact>();
        var tables = fixture.Storage.GetRequiredService<ReadSideTables>();
        await tables.EnsureCreatedAsync(CancellationToken.None);
        using var writersDone = new CancellationTokenSource();
        var follower = Task.Run(async () =>
        {
            // Small, frequent rounds while the writers run, as a host's projector would do.
            while (!writersDone.IsCancellationRequested)
            {
                await ReadSideFolding.FoldAsync(tables, fixture.Store);
                await Task.Delay(5);
            }
        });

        var writers = actors.Select((actor, index) => Task.Run(async () =>
        {
            var grain = fixture.Cluster.GrainFactory.GetGrain<IActorGrain>(actor);
            var random = new Random(index);
            // One claim per actor and day: ties within an actor would be decided by append order.
            foreach (var day in Enumerable.Range(1, 60).OrderBy(_ => random.Next()).Take(25))
            {
                var stance = random.Next(2) == 0 ? Stance.Affirms : Stance.Denies;
                var low = random.Next(0, 50) * 100;
                var claim = TestData.Claim(subject, stance);
                claim = claim with
                {
                    Content = claim.Content with
                    {
                        Kind = SpeechAct.Assertion,
                        StatedAt = new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero).AddDays(day),
                        Quantity = stance == Stance.Affirms ? new Quantity(low, low + 500, "drones") : null,
                    },
                };
                var outcome = (await grain.RecordClaimsAsync([claim]))[0];
                Assert.Equal(RecordStatus.Created, outcome.Status);
                acknowledged[claim.ClaimId] = new ClaimFact(claim.ClaimId, actor, claim.Content.Proposition, claim.Content.Stance,
                    claim.Content.Quantity, claim.Content.StatedAt, outcome.Claim!.Version);
                if (random.Next(10) == 0)
                {
                    await grain.RetractClaimAsync(claim.ClaimId, "test");
                    acknowledged.TryRemove(claim.ClaimId, out _);
                }
            }
        }));
        await Task.WhenAll(writers);
        await writersDone.CancelAsync();
        await follower;
        await ReadSideFolding.FoldAsync(tables, fixture.Store);

        var key = $"{subject}:sends-drones-to:russia";
        var expected = PropositionView.Of([.. acknowledged.Values]);
        output.WriteLine($"{acknowledged.Count} live claims, {expected.Contradictions.Length} contradictions");
        Assert.True(expected.Contradictions.Length > 10);
        Assert.Equal(Describe(expected), await StoredAsync(tables, key));

        var log = new EventLogReader(fixture.Store, ReadSideTables.Reads);
        await tables.RebuildAsync(log.ReadIn(ReadSideTables.BatchSize, CancellationToken.None), ReadSideTables.BatchSize, CancellationToken.None);
        Assert.Equal(Describe(expected), await StoredAsync(tables, key));
    }

    /// <summary>A claim recorded and retracted between two rounds is folded in one: it leaves no row and no contradiction.</summary>
    [Fact]
    public async Task ClaimRecordedAndRetractedInOneRound_LeavesNoTrace()
    {
        var subject = TestData.ActorId("fleeting");
        var (accuser, denier) = (TestData.ActorId("accuser"), TestData.ActorId("denier"));
        var tables = fixture.Storage.GetRequiredService<ReadSideTables>();
        await tables.EnsureCreatedAsync(CancellationToken.None);
        await ReadSideFolding.FoldAsync(tables, fixture.Store);
        foreach (var actor in new[] { accuser, denier })
        {
            await fixture.Cluster.GrainFactory.GetGrain<IActorGrain>(actor).RegisterAsync(TestData.Profile(actor));
        }

        var accusation = TestData.Claim(subject, Stance.Affirms);
        var denial = TestData.Claim(subject, Stance.Denies);
        await fixture.Cluster.GrainFactory.GetGrain<IActorGrain>(accuser).RecordClaimsAsync([accusation]);
        await fixture.Cluster.GrainFactory.GetGrain<IActorGrain>(denier).RecordClaimsAsync([denial]);
        await fixture.Cluster.GrainFactory.GetGrain<IActorGrain>(denier).RetractClaimAsync(denial.ClaimId, "test");

        await ReadSideFolding.FoldAsync(tables, fixture.Store);

        var key = accusation.Content.Proposition.Key;
        var view = await tables.PropositionAsync(key, CancellationToken.None);
        Assert.Equal([accuser], view!.Stances.Select(s => s.ActorId));
        Assert.Empty(await ReadSideFolding.ContradictionsAsync(tables, key));
    }

    private static string Describe(PropositionView view) => ReadSideFolding.Describe(view.Stances, view.Contradictions);

    private static async Task<string> StoredAsync(ReadSideTables tables, string key)
    {
        var view = await tables.PropositionAsync(key, CancellationToken.None);
        var stored = await ReadSideFolding.ContradictionsAsync(tables, key);
        Assert.Equal(view!.Contradictions.Select(c => c.ContradictionId), stored.Select(c => c.ContradictionId));
        return ReadSideFolding.Describe(view.Stances, stored);
    }
}

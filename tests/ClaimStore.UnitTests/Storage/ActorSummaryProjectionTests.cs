using ClaimStore.Domain.Actors;
using ClaimStore.Domain.Claims;
using ClaimStore.Storage;

namespace ClaimStore.UnitTests.Storage;

public sealed class ActorSummaryProjectionTests
{
    private static readonly DateTimeOffset At = new(2024, 12, 4, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Evolve_EventsThatAreNotClaims_AreCountedClaimsAreNot()
    {
        var claim = new ClaimRecorded(Guid.NewGuid(), "nato", Content(), At);
        IActorEvent[] events =
        [
            new ActorRegistered("nato", "NATO", ActorKind.Alliance, [], At),
            claim,
            new ClaimRecorded(Guid.NewGuid(), "nato", Content(), At),
            new ClaimRetracted(claim.ClaimId, "nato", "test", At),
            new ActorProfileChanged("nato", "North Atlantic Treaty Organization", ActorKind.Alliance, ["NATO"], At),
        ];

        var summary = events.Aggregate((ActorSummary?)null, ActorSummaryProjection.Evolve)!;

        Assert.Equal(3, summary.OtherEvents);
        Assert.Equal(events.Length - summary.OtherEvents, events.Count(e => e is ClaimRecorded));
        Assert.Equal("North Atlantic Treaty Organization", summary.Name);
        Assert.Equal(["NATO"], summary.Aliases.AsEnumerable());
    }

    [Fact]
    public void Evolve_DocumentFromBeforeTheCountMoved_StaysMarkedForCounting()
    {
        var legacy = new ActorSummary("nato", "NATO", ActorKind.Alliance, [], OtherEvents: 0);

        var changed = ActorSummaryProjection.Evolve(legacy, new ActorProfileChanged("nato", "NATO 2", ActorKind.Alliance, [], At))!;

        Assert.Equal(("NATO 2", 0), (changed.Name, changed.OtherEvents));
    }

    private static ClaimContent Content() => new(
        new Proposition("china", "sends-drones-to", "russia"), Stance.Affirms, SpeechAct.Accusation, At,
        null, null, null, [], null, Certainty.Certain, null, null);
}

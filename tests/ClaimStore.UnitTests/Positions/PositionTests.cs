using System.Collections.Immutable;
using ClaimStore.Domain.Actors;
using ClaimStore.Domain.Claims;
using ClaimStore.Domain.Positions;

namespace ClaimStore.UnitTests.Positions;

public sealed class PositionTests
{
    private static readonly DateTimeOffset Recorded = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly Proposition Troops = new("north-korea", "sends-troops-to", "russia");

    private static DateTimeOffset Day(int year, int month, int day) => new(year, month, day, 0, 0, 0, TimeSpan.Zero);

    private static ClaimContent Content(Stance stance, DateTimeOffset statedAt, Proposition? proposition = null) => new(
        proposition ?? Troops, stance, SpeechAct.Assertion, statedAt, null, null, null, [], null, Certainty.Certain, null, null);

    /// <summary>Russia calls it a fake in 2024 and confirms it in 2025; the analyst enters the confirmation first.</summary>
    private static ActorState RussiaConfirmedFirst(out Guid denial, out Guid confirmation)
    {
        var state = ActorDecider.Fold(ActorState.Empty("russia"),
            ActorDecider.Register(ActorState.Empty("russia"), new ActorProfile("Russia", ActorKind.State, []), Recorded).Events);
        confirmation = Guid.NewGuid();
        denial = Guid.NewGuid();
        state = ActorDecider.Fold(state, ActorDecider.Record(state,
            [new ClaimSubmission(confirmation, Content(Stance.Affirms, Day(2025, 4, 28)))], Recorded.AddHours(1)).Events);
        state = ActorDecider.Fold(state, ActorDecider.Record(state,
            [new ClaimSubmission(denial, Content(Stance.Denies, Day(2024, 10, 25)))], Recorded.AddHours(2)).Events);
        return state;
    }

    [Fact]
    public void ComputeAll_ClaimsEnteredOutOfValidTimeOrder_LatestStatedAtHolds()
    {
        var state = RussiaConfirmedFirst(out _, out var confirmation);

        var position = Assert.Single(Position.ComputeAll(state.Claims, null, null));

        Assert.Equal((Stance.Affirms, confirmation, 2, Day(2025, 4, 28)), (position.Stance, position.ClaimId, position.ClaimCount, position.Since));
    }

    [Fact]
    public void ComputeAll_AsOfBetweenClaims_SeesTheEarlierOne()
    {
        var state = RussiaConfirmedFirst(out var denial, out _);

        var position = Assert.Single(Position.ComputeAll(state.Claims, Day(2025, 1, 1), null));

        Assert.Equal((Stance.Denies, denial, 1), (position.Stance, position.ClaimId, position.ClaimCount));
    }

    [Fact]
    public void ComputeAll_AsOfBeforeEveryClaim_IsEmpty()
    {
        Assert.Empty(Position.ComputeAll(RussiaConfirmedFirst(out _, out _).Claims, Day(2020, 1, 1), null));
    }

    [Fact]
    public void ComputeAll_KnownAtBeforeTheLaterRecording_SeesOnlyWhatWasRecorded()
    {
        var state = RussiaConfirmedFirst(out _, out var confirmation);

        var position = Assert.Single(Position.ComputeAll(state.Claims, null, Recorded.AddHours(1.5)));

        Assert.Equal((confirmation, 1), (position.ClaimId, position.ClaimCount));
        Assert.Empty(Position.ComputeAll(state.Claims, null, Recorded.AddMinutes(30)));
    }

    [Fact]
    public void ComputeAll_RetractedClaim_CountsOnlyBeforeItsRetractionWasRecorded()
    {
        var state = RussiaConfirmedFirst(out var denial, out var confirmation);
        state = ActorDecider.Fold(state, ActorDecider.Retract(state, confirmation, "wrong speaker", Recorded.AddHours(3)).Events);

        var now = Assert.Single(Position.ComputeAll(state.Claims, null, null));
        var before = Assert.Single(Position.ComputeAll(state.Claims, null, Recorded.AddHours(2.5)));

        Assert.Equal((denial, 1), (now.ClaimId, now.ClaimCount));
        Assert.Equal((confirmation, 2), (before.ClaimId, before.ClaimCount));
    }

    [Fact]
    public void ComputeAll_SameStatedAtTwice_LaterAppendWins()
    {
        var state = ActorDecider.Fold(ActorState.Empty("nato"),
            ActorDecider.Register(ActorState.Empty("nato"), new ActorProfile("NATO", ActorKind.Alliance, []), Recorded).Events);
        var second = Guid.NewGuid();
        state = ActorDecider.Fold(state, ActorDecider.Record(state,
            [new ClaimSubmission(Guid.NewGuid(), Content(Stance.Affirms, Day(2024, 12, 4))),
             new ClaimSubmission(second, Content(Stance.Denies, Day(2024, 12, 4)))], Recorded).Events);

        Assert.Equal(second, Assert.Single(Position.ComputeAll(state.Claims, null, null)).ClaimId);
    }

    [Fact]
    public void ComputeAll_SeveralPropositions_SortedByKeyOrdinally()
    {
        var state = ActorDecider.Fold(ActorState.Empty("nato"),
            ActorDecider.Register(ActorState.Empty("nato"), new ActorProfile("NATO", ActorKind.Alliance, []), Recorded).Events);
        var keys = new[] { "z-a:b", "a-b:c", "a:b" };
        var submissions = keys.Select(k => k.Split(':'))
            .Select(p => new ClaimSubmission(Guid.NewGuid(), Content(Stance.Affirms, Day(2024, 1, 1), new Proposition(p[0], p[1], null))))
            .ToImmutableArray();
        state = ActorDecider.Fold(state, ActorDecider.Record(state, submissions, Recorded).Events);

        Assert.Equal(keys.Order(StringComparer.Ordinal), Position.ComputeAll(state.Claims, null, null).Select(p => p.Proposition.Key));
    }
}

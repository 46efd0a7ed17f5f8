using System.Collections.Immutable;
using ClaimStore.Domain.Actors;
using ClaimStore.Domain.Claims;

namespace ClaimStore.UnitTests.Actors;

public sealed class ActorDeciderTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);
    private static readonly ActorProfile Nato = new("NATO", ActorKind.Alliance, ["Allianz"]);

    [Fact]
    public void Register_NewActor_EmitsActorRegistered()
    {
        var decision = ActorDecider.Register(ActorState.Empty("nato"), Nato, Now);

        Assert.Equal(RegistrationStatus.Created, Assert.Single(decision.Outcomes));
        var registered = Assert.IsType<ActorRegistered>(Assert.Single(decision.Events));
        Assert.Equal(("nato", "NATO", Now), (registered.ActorId, registered.Name, registered.RecordedAt));
    }

    [Fact]
    public void Register_SameProfileAgain_EmitsNothing()
    {
        var state = Registered();

        var decision = ActorDecider.Register(state, Nato with { Aliases = ["Allianz"] }, Now);

        Assert.Equal(RegistrationStatus.Unchanged, Assert.Single(decision.Outcomes));
        Assert.Empty(decision.Events);
    }

    [Fact]
    public void Register_ChangedAliases_EmitsProfileChanged()
    {
        var decision = ActorDecider.Register(Registered(), Nato with { Aliases = ["Allianz", "OTAN"] }, Now);

        Assert.Equal(RegistrationStatus.Updated, Assert.Single(decision.Outcomes));
        Assert.IsType<ActorProfileChanged>(Assert.Single(decision.Events));
    }

    [Fact]
    public void RecordClaim_UnregisteredActor_IsActorNotFound()
    {
        var decision = ActorDecider.Record(ActorState.Empty("ghost"), [Submission()], Now);

        Assert.Equal(RecordStatus.ActorNotFound, Assert.Single(decision.Outcomes).Status);
        Assert.Empty(decision.Events);
    }

    [Fact]
    public void RecordClaim_NewClaim_GetsNextStreamVersion()
    {
        var decision = ActorDecider.Record(Registered(), [Submission()], Now);

        var outcome = Assert.Single(decision.Outcomes);
        Assert.Equal(RecordStatus.Created, outcome.Status);
        Assert.Equal(2, outcome.Claim!.Version);
        Assert.IsType<ClaimRecorded>(Assert.Single(decision.Events));
    }

    [Fact]
    public void RecordClaim_SameClaimIdTwice_AppendsOnce()
    {
        var claim = Submission();
        var state = ActorDecider.Fold(Registered(), ActorDecider.Record(Registered(), [claim], Now).Events);

        var retry = ActorDecider.Record(state, [claim], Now.AddMinutes(1));

        var outcome = Assert.Single(retry.Outcomes);
        Assert.Equal(RecordStatus.Unchanged, outcome.Status);
        Assert.Equal(2, outcome.Claim!.Version);
        Assert.Empty(retry.Events);
    }

    [Fact]
    public void RecordClaim_SameInstantInAnotherOffset_IsUnchanged()
    {
        var claim = Submission();
        var state = ActorDecider.Fold(Registered(), ActorDecider.Record(Registered(), [claim], Now).Events);
        var shifted = claim with
        {
            Content = claim.Content with { StatedAt = claim.Content.StatedAt.ToOffset(TimeSpan.FromHours(1)) },
        };

        var retry = ActorDecider.Record(state, [shifted], Now);

        Assert.Equal(RecordStatus.Unchanged, Assert.Single(retry.Outcomes).Status);
    }

    [Fact]
    public void RecordClaim_SameIdOtherContent_IsConflict()
    {
        var claim = Submission();
        var state = ActorDecider.Fold(Registered(), ActorDecider.Record(Registered(), [claim], Now).Events);
        var changed = claim with { Content = claim.Content with { Stance = Stance.Denies } };

        var retry = ActorDecider.Record(state, [changed], Now);

        Assert.Equal(RecordStatus.Conflict, Assert.Single(retry.Outcomes).Status);
        Assert.Empty(retry.Events);
    }

    [Fact]
    public void RecordClaims_RepeatedIdInOneBatch_AppendsOnce()
    {
        var claim = Submission();

        var decision = ActorDecider.Record(Registered(), [claim, claim], Now);

        Assert.Equal([RecordStatus.Created, RecordStatus.Unchanged], decision.Outcomes.Select(o => o.Status));
        Assert.Single(decision.Events);
    }

    [Fact]
    public void RecordClaim_ClockBehindLastEvent_KeepsTransactionTimeMonotonic()
    {
        var state = ActorDecider.Fold(Registered(), ActorDecider.Record(Registered(), [Submission()], Now).Events);

        var decision = ActorDecider.Record(state, [Submission()], Now.AddSeconds(-30));

        Assert.Equal(Now, Assert.IsType<ClaimRecorded>(Assert.Single(decision.Events)).RecordedAt);
    }

    [Fact]
    public void Retract_LiveClaim_MarksItRetractedFromThatTime()
    {
        var claim = Submission();
        var state = ActorDecider.Fold(Registered(), ActorDecider.Record(Registered(), [claim], Now).Events);

        var decision = ActorDecider.Retract(state, claim.ClaimId, "misattributed", Now.AddHours(1));
        var after = ActorDecider.Fold(state, decision.Events);

        Assert.Equal(RetractStatus.Retracted, Assert.Single(decision.Outcomes).Status);
        var retracted = after.FindClaim(claim.ClaimId)!;
        Assert.True(retracted.IsRetracted);
        Assert.True(retracted.IsLiveAt(Now.AddMinutes(30)));
        Assert.False(retracted.IsLiveAt(Now.AddHours(2)));
        Assert.False(retracted.IsLiveAt(null));
    }

    [Fact]
    public void Retract_Twice_EmitsOnce()
    {
        var claim = Submission();
        var state = ActorDecider.Fold(Registered(), ActorDecider.Record(Registered(), [claim], Now).Events);
        state = ActorDecider.Fold(state, ActorDecider.Retract(state, claim.ClaimId, null, Now).Events);

        var again = ActorDecider.Retract(state, claim.ClaimId, null, Now);

        Assert.Equal(RetractStatus.AlreadyRetracted, Assert.Single(again.Outcomes).Status);
        Assert.Empty(again.Events);
    }

    [Fact]
    public void Retract_UnknownClaim_IsNotFound()
    {
        var decision = ActorDecider.Retract(Registered(), Guid.NewGuid(), null, Now);

        Assert.Equal(RetractStatus.NotFound, Assert.Single(decision.Outcomes).Status);
        Assert.Empty(decision.Events);
    }

    [Fact]
    public void Fold_EveryEvent_AdvancesVersionByOne()
    {
        var claims = Enumerable.Range(0, 5).Select(_ => Submission()).ToArray();

        var state = ActorDecider.Fold(Registered(), ActorDecider.Record(Registered(), claims, Now).Events);

        Assert.Equal(6, state.Version);
        Assert.Equal([2L, 3, 4, 5, 6], state.Claims.Select(c => c.Version));
    }

    [Fact]
    public void Decisions_StateAfter_EqualsFoldingTheirEvents()
    {
        var claim = Submission();
        var recorded = ActorDecider.Record(Registered(), [claim, Submission(), claim], Now);
        var retracted = ActorDecider.Retract(recorded.After, claim.ClaimId, "x", Now);
        var renamed = ActorDecider.Register(retracted.After, Nato with { Name = "OTAN" }, Now);

        foreach (var (before, events, after) in new[]
        {
            (Registered(), recorded.Events, recorded.After),
            (recorded.After, retracted.Events, retracted.After),
            (retracted.After, renamed.Events, renamed.After),
        })
        {
            var folded = ActorDecider.Fold(before, events);
            Assert.Equal((folded.Version, folded.Profile), (after.Version, after.Profile));
            Assert.Equal(folded.Claims, after.Claims);
        }
    }

    [Fact]
    public void Rested_StateWithClaims_KeepsItsStreamPositionAndHoldsNoClaim()
    {
        var state = ActorDecider.Record(Registered(), [Submission(), Submission()], Now).After;

        var rested = state.Rested();

        Assert.False(rested.IsWhole);
        Assert.Equal((state.Version, state.Profile, state.LastRecordedAt, 2, 0), (rested.Version, rested.Profile, rested.LastRecordedAt, rested.ClaimCount, rested.Claims.Count));
        Assert.Same(rested, rested.Rested());
    }

    [Fact]
    public void RecordClaim_RestingState_DecidesAnIdItDoesNotHoldAsNewAndNextVersion()
    {
        var resting = ActorDecider.Record(Registered(), [Submission()], Now).After.Rested();
        var claim = Submission();

        var decision = ActorDecider.Record(resting, [claim, claim], Now);

        Assert.Equal([RecordStatus.Created, RecordStatus.Unchanged], decision.Outcomes.Select(o => o.Status));
        Assert.Equal(3, decision.Outcomes[0].Claim!.Version);
        Assert.Single(decision.Events);
        Assert.Equal(2, decision.After.ClaimCount);
    }

    [Fact]
    public void Retract_RestingState_IsRefused()
    {
        var claim = Submission();
        var resting = ActorDecider.Record(Registered(), [claim], Now).After.Rested();

        Assert.Throws<InvalidOperationException>(() => ActorDecider.Retract(resting, claim.ClaimId, null, Now));
    }

    private static ActorState Registered() =>
        ActorDecider.Fold(ActorState.Empty("nato"), ActorDecider.Register(ActorState.Empty("nato"), Nato, Now).Events);

    internal static ClaimSubmission Submission(Stance stance = Stance.Affirms) => new(
        Guid.NewGuid(),
        new ClaimContent(
            new Proposition("china", "sends-drones-to", "russia"),
            stance,
            SpeechAct.Accusation,
            new DateTimeOffset(2024, 12, 4, 0, 0, 0, TimeSpan.Zero),
            "China wird seinerseits von der Allianz beschuldigt, Drohnen nach Russland geschickt zu haben.",
            "de",
            null,
            ImmutableArray.Create("afp"),
            "mark-rutte",
            Certainty.Certain,
            null,
            0.8));
}

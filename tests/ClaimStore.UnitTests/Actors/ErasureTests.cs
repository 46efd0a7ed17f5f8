using System.Collections.Immutable;
using ClaimStore.Domain.Actors;
using ClaimStore.Domain.Claims;

namespace ClaimStore.UnitTests.Actors;

public sealed class ErasureTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 6, 23, 0, 0, TimeSpan.Zero);
    private static readonly ActorProfile Person = new("Jan Kowalski", ActorKind.Person, ["J. Kowalski", "Kowal"]);
    private static readonly ErasureScope Scope = new("jan-kowalski", Erasure.NamesOf([Person]), new HashSet<Guid>());

    [Fact]
    public void Erase_RegisteredPerson_EmitsActorErasedNamingTheKey()
    {
        var decision = ActorDecider.Erase(Registered(), "compliance-key", 3, Now);

        Assert.Equal(ErasureStatus.Erased, Assert.Single(decision.Outcomes));
        var erased = Assert.IsType<ActorErased>(Assert.Single(decision.Events));
        Assert.Equal(("jan-kowalski", "compliance-key", 3, Now), (erased.ActorId, erased.ErasedBy, erased.RewrittenEvents, erased.RecordedAt));
        Assert.Equal(Erasure.Marker, decision.After.Profile!.Name);
        Assert.Empty(decision.After.Profile.Aliases);
        Assert.Equal(ActorKind.Person, decision.After.Profile.Kind);
    }

    [Fact]
    public void Erase_Twice_EmitsNothingTheSecondTime()
    {
        var once = ActorDecider.Erase(Registered(), "compliance-key", 3, Now);

        var twice = ActorDecider.Erase(once.After, "compliance-key", 0, Now);

        Assert.Equal(ErasureStatus.AlreadyErased, Assert.Single(twice.Outcomes));
        Assert.Empty(twice.Events);
    }

    [Fact]
    public void Erase_UnregisteredActor_IsActorNotFound()
    {
        var decision = ActorDecider.Erase(ActorState.Empty("ghost"), "compliance-key", 0, Now);

        Assert.Equal(ErasureStatus.ActorNotFound, Assert.Single(decision.Outcomes));
        Assert.Empty(decision.Events);
    }

    [Fact]
    public void Erase_AfterClaims_KeepsTheClaimsAndMovesTheVersionByOne()
    {
        var state = ActorDecider.Record(Registered(), [new(Guid.NewGuid(), Content("Ich sage das."))], Now).After;

        var after = ActorDecider.Erase(state, "compliance-key", 2, Now).After;

        Assert.Equal(state.Version + 1, after.Version);
        Assert.Equal(state.Claims.Count, after.Claims.Count);
    }

    [Fact]
    public void Rewrite_ClaimSpokenByThePerson_ErasesQuoteTitleAndUrlOnly()
    {
        var claim = new ClaimRecorded(Guid.NewGuid(), "nato", Content("Wir bleiben standhaft.") with { Spokesperson = "jan-kowalski" }, Now);

        var rewritten = Assert.IsType<ClaimRecorded>(Erasure.Rewrite(claim, Scope));

        Assert.Equal(Erasure.Marker, rewritten.Claim.Quote);
        Assert.Equal(new ClaimSource("AFP", null, Erasure.Marker, Now), rewritten.Claim.Source);
        Assert.Equal((claim.ClaimId, claim.Claim.Proposition, claim.Claim.Stance, claim.Claim.StatedAt, claim.Claim.Spokesperson),
            (rewritten.ClaimId, rewritten.Claim.Proposition, rewritten.Claim.Stance, rewritten.Claim.StatedAt, rewritten.Claim.Spokesperson));
    }

    [Fact]
    public void Rewrite_ClaimReportedViaThePerson_ErasesTheQuote()
    {
        var claim = new ClaimRecorded(Guid.NewGuid(), "nato", Content("Sie hat es gesagt.") with { ReportedVia = ["afp", "jan-kowalski"] }, Now);

        Assert.Equal(Erasure.Marker, Assert.IsType<ClaimRecorded>(Erasure.Rewrite(claim, Scope)).Claim.Quote);
    }

    [Fact]
    public void Rewrite_OtherClaimMentioningAName_RedactsOnlyTheWholeWordMentions()
    {
        var claim = new ClaimRecorded(Guid.NewGuid(), "nato", Content("Laut jan KOWALSKI und Kowal, nicht Kowalskis Team."), Now);

        var rewritten = Assert.IsType<ClaimRecorded>(Erasure.Rewrite(claim, Scope));

        Assert.Equal("Laut [erased] und [erased], nicht Kowalskis Team.", rewritten.Claim.Quote);
    }

    [Fact]
    public void Rewrite_UnrelatedClaim_IsLeftAsItIs()
    {
        var claim = new ClaimRecorded(Guid.NewGuid(), "nato", Content("Nichts über ihn."), Now);

        Assert.Null(Erasure.Rewrite(claim, Scope));
    }

    [Fact]
    public void Rewrite_RetractionOfANamingClaim_ErasesItsReason()
    {
        var claimId = Guid.NewGuid();
        var scope = Scope with { NamingClaims = new HashSet<Guid> { claimId } };

        var rewritten = Assert.IsType<ClaimRetracted>(Erasure.Rewrite(new ClaimRetracted(claimId, "nato", "misquoted", Now), scope));

        Assert.Equal(Erasure.Marker, rewritten.Reason);
    }

    [Fact]
    public void Rewrite_ThePersonsRegistration_ErasesNameAndAliasesOnce()
    {
        var registered = new ActorRegistered("jan-kowalski", Person.Name, Person.Kind, Person.Aliases, Now);

        var rewritten = Assert.IsType<ActorRegistered>(Erasure.Rewrite(registered, Scope));

        Assert.Equal((Erasure.Marker, 0, ActorKind.Person), (rewritten.Name, rewritten.Aliases.Length, rewritten.Kind));
        Assert.Null(Erasure.Rewrite(rewritten, Scope));
    }

    [Fact]
    public void NamesOf_ProfilesOverTime_KeepsEveryNameLongestFirst()
    {
        var names = Erasure.NamesOf([Person, new ActorProfile("Jan K.", ActorKind.Person, ["kowal"])]);

        Assert.Equal(["Jan Kowalski", "J. Kowalski", "Jan K.", "Kowal"], names.ToArray());
    }

    private static ActorState Registered() =>
        ActorDecider.Register(ActorState.Empty("jan-kowalski"), Person, Now).After;

    private static ClaimContent Content(string quote) => new(
        new Proposition("china", "sends-drones-to", "russia"), Stance.Affirms, SpeechAct.Assertion, Now, quote, "de",
        new ClaimSource("AFP", "https://example.org/kowalski", "Kowalski spricht", Now), ImmutableArray<string>.Empty, null,
        Certainty.Certain, null, null);
}

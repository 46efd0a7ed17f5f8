using ClaimStore.Domain.Claims;
using ClaimStore.Domain.Contradictions;

namespace ClaimStore.UnitTests.Contradictions;

public sealed class ContradictionDetectorTests
{
    private const string Drones = "china:sends-drones-to:russia";
    private static readonly Proposition DronesProposition = new("china", "sends-drones-to", "russia");
    private long _sequence;

    private static DateTimeOffset Day(int day) => new(2024, 12, day, 0, 0, 0, TimeSpan.Zero);

    private ClaimFact Claim(string actor, Stance stance, int day, Quantity? quantity = null) =>
        new(Guid.NewGuid(), actor, DronesProposition, stance, quantity, Day(day), ++_sequence);

    [Fact]
    public void Detect_AccusationThenDenial_OpensOpposingStancesAtTheDenial()
    {
        var accusation = Claim("nato", Stance.Affirms, 4);
        var denial = Claim("china", Stance.Denies, 5);

        var found = Assert.Single(ContradictionDetector.Detect(Drones, [accusation, denial]));

        Assert.Equal(ContradictionKind.OpposingStances, found.Kind);
        Assert.Equal(["china", "nato"], found.ActorIds.ToArray());
        Assert.Equal([denial.ClaimId, accusation.ClaimId], found.ClaimIds.ToArray());
        Assert.Equal((Day(5), (DateTimeOffset?)null, ContradictionStatus.Open), (found.OpenedAt, found.ResolvedAt, found.Status));
    }

    [Fact]
    public void Detect_DenierLaterConcedes_ResolvesAtTheConcessionAndRecordsTheReversal()
    {
        var found = ContradictionDetector.Detect(Drones,
            [Claim("nato", Stance.Affirms, 4), Claim("china", Stance.Denies, 5), Claim("china", Stance.Affirms, 20)]);

        var opposing = Assert.Single(found, c => c.Kind == ContradictionKind.OpposingStances);
        Assert.Equal((Day(5), (DateTimeOffset?)Day(20), ContradictionStatus.Resolved), (opposing.OpenedAt, opposing.ResolvedAt, opposing.Status));
        var reversal = Assert.Single(found, c => c.Kind == ContradictionKind.SelfReversal);
        Assert.Equal(["china"], reversal.ActorIds.ToArray());
        Assert.Equal((Day(20), ContradictionStatus.Open), (reversal.OpenedAt, reversal.Status));
    }

    [Fact]
    public void Detect_OppositionEndsAndReturns_IsTwoRecordsWithDifferentIds()
    {
        var found = ContradictionDetector.Detect(Drones,
        [
            Claim("nato", Stance.Affirms, 1), Claim("china", Stance.Denies, 2),
            Claim("china", Stance.Affirms, 3), Claim("china", Stance.Denies, 4),
        ]).Where(c => c.Kind == ContradictionKind.OpposingStances).ToList();

        Assert.Equal([(Day(2), (DateTimeOffset?)Day(3)), (Day(4), null)], found.Select(c => (c.OpenedAt, c.ResolvedAt)));
        Assert.NotEqual(found[0].ContradictionId, found[1].ContradictionId);
    }

    [Fact]
    public void Detect_OpposingClaimsAtTheSameInstant_OpenAtThatInstant()
    {
        var found = Assert.Single(ContradictionDetector.Detect(Drones, [Claim("nato", Stance.Affirms, 4), Claim("china", Stance.Denies, 4)]));

        Assert.Equal(Day(4), found.OpenedAt);
    }

    [Fact]
    public void Detect_OneActorBothWaysAtTheSameInstant_LaterAppendHoldsAndNoTransientOpposition()
    {
        var found = ContradictionDetector.Detect(Drones,
            [Claim("nato", Stance.Denies, 4), Claim("china", Stance.Affirms, 4), Claim("china", Stance.Denies, 4)]);

        Assert.DoesNotContain(found, c => c.Kind == ContradictionKind.OpposingStances);
        Assert.Single(found, c => c.Kind == ContradictionKind.SelfReversal);
    }

    [Fact]
    public void Detect_ReversalEnteredBeforeTheClaimItReverses_IsTimedByValidTime()
    {
        var confirmation = Claim("russia", Stance.Affirms, 28);
        var denial = Claim("russia", Stance.Denies, 5);

        var reversal = Assert.Single(ContradictionDetector.Detect(Drones, [confirmation, denial]));

        Assert.Equal((ContradictionKind.SelfReversal, Day(28)), (reversal.Kind, reversal.OpenedAt));
        Assert.Equal([denial.ClaimId, confirmation.ClaimId], reversal.ClaimIds.ToArray());
    }

    [Fact]
    public void Detect_TwoReversalsOfOneActorAtOneInstant_GetDistinctIds()
    {
        var found = ContradictionDetector.Detect(Drones,
            [Claim("nato", Stance.Affirms, 1), Claim("nato", Stance.Denies, 2), Claim("nato", Stance.Affirms, 2)]);

        Assert.Equal(2, found.Length);
        Assert.NotEqual(found[0].ContradictionId, found[1].ContradictionId);
    }

    [Fact]
    public void Detect_AgreeingActors_FindNothing()
    {
        Assert.Empty(ContradictionDetector.Detect(Drones,
            [Claim("nato", Stance.Affirms, 4), Claim("the-west", Stance.Affirms, 5), Claim("nato", Stance.Affirms, 6)]));
    }

    [Fact]
    public void Detect_DisjointRangesOfTheSameUnit_AreIncompatibleQuantities()
    {
        var west = Claim("the-west", Stance.Affirms, 4, new Quantity(10_000, 12_000, "soldiers"));
        var other = Claim("ukraine", Stance.Affirms, 6, new Quantity(3_000, 5_000, "soldiers"));

        var found = Assert.Single(ContradictionDetector.Detect(Drones, [west, other]));

        Assert.Equal((ContradictionKind.IncompatibleQuantities, Day(6)), (found.Kind, found.OpenedAt));
        Assert.Equal(["the-west", "ukraine"], found.ActorIds.ToArray());
    }

    [Theory]
    [InlineData(11_000, 15_000, "soldiers")]
    [InlineData(12_000, 12_000, "soldiers")]
    [InlineData(1, 2, "battalions")]
    public void Detect_OverlappingRangesOrOtherUnits_FindNothing(int min, int max, string unit)
    {
        Assert.Empty(ContradictionDetector.Detect(Drones,
        [
            Claim("the-west", Stance.Affirms, 4, new Quantity(10_000, 12_000, "soldiers")),
            Claim("ukraine", Stance.Affirms, 6, new Quantity(min, max, unit)),
        ]));
    }

    [Fact]
    public void Detect_EstimateRevisedIntoOverlap_ResolvesTheQuantityConflict()
    {
        var found = Assert.Single(ContradictionDetector.Detect(Drones,
        [
            Claim("the-west", Stance.Affirms, 4, new Quantity(10_000, 12_000, "soldiers")),
            Claim("ukraine", Stance.Affirms, 6, new Quantity(3_000, 5_000, "soldiers")),
            Claim("ukraine", Stance.Affirms, 9, new Quantity(9_000, 11_000, "soldiers")),
        ]));

        Assert.Equal((Day(6), (DateTimeOffset?)Day(9)), (found.OpenedAt, found.ResolvedAt));
    }

    [Fact]
    public void Detect_SameClaimsInAnyArrivalOrder_GiveTheSameRecordsAndIds()
    {
        var claims = new[]
        {
            Claim("nato", Stance.Affirms, 1), Claim("china", Stance.Denies, 2), Claim("iran", Stance.Denies, 3),
            Claim("china", Stance.Affirms, 7), Claim("nato", Stance.Denies, 9),
        };

        var forward = ContradictionDetector.Detect(Drones, claims);
        var backward = ContradictionDetector.Detect(Drones, claims.Reverse());

        Assert.Equal(forward.Select(Describe), backward.Select(Describe));
        Assert.Equal(forward.Select(c => c.OpenedAt.UtcTicks).Order(), forward.Select(c => c.OpenedAt.UtcTicks));
    }

    private static string Describe(Contradiction c) =>
        $"{c.ContradictionId} {c.Kind} {string.Join(',', c.ActorIds)} {string.Join(',', c.ClaimIds)} {c.OpenedAt:O} {c.ResolvedAt:O}";
}

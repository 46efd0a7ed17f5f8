using ClaimStore.Domain.Claims;
using ClaimStore.Domain.Positions;
using ClaimStore.Domain.Timelines;

namespace ClaimStore.UnitTests.Timelines;

public sealed class TimelineTests
{
    private static readonly DateTimeOffset Recorded = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly Proposition Troops = new("north-korea", "sends-troops-to", "russia");

    private static DateTimeOffset Day(int day) => new(2024, 1, day, 0, 0, 0, TimeSpan.Zero);

    private static ClaimEntry Claim(
        Stance stance, int day, int recordedHour = 0, DateTimeOffset? retractedAt = null, Proposition? proposition = null,
        Certainty certainty = Certainty.Certain, Quantity? quantity = null) =>
        new(Guid.NewGuid(), "russia", 0, proposition ?? Troops, stance, certainty, quantity, Day(day),
            Recorded.AddHours(recordedHour), retractedAt, default);

    private static string Show(PropositionTimeline timeline, IReadOnlyList<ClaimEntry> claims) =>
        string.Join(" | ", timeline.Periods.Select(p =>
            $"{p.Stance} {p.From.Day}-{p.To?.Day.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "now"} "
            + string.Join(",", p.ClaimIds.Select(id => claims.ToList().FindIndex(c => c.ClaimId == id)))));

    [Fact]
    public void Compute_RepeatedStance_ExtendsThePeriod()
    {
        ClaimEntry[] claims = [Claim(Stance.Denies, 1), Claim(Stance.Denies, 3), Claim(Stance.Affirms, 5), Claim(Stance.Affirms, 9)];

        var timeline = Assert.Single(Timeline.Compute(claims, null));

        Assert.Equal("Denies 1-5 0,1 | Affirms 5-now 2,3", Show(timeline, claims));
    }

    [Fact]
    public void Compute_AnyAppendOrder_SameTimeline()
    {
        ClaimEntry[] claims = [Claim(Stance.Denies, 1), Claim(Stance.Affirms, 2), Claim(Stance.Affirms, 4), Claim(Stance.Denies, 7), Claim(Stance.Affirms, 8)];
        var expected = Show(Timeline.Compute(claims, null)[0], claims);

        foreach (var order in new[] { new[] { 4, 3, 2, 1, 0 }, [2, 0, 4, 1, 3], [1, 3, 0, 4, 2] })
        {
            Assert.Equal(expected, Show(Timeline.Compute(order.Select(i => claims[i]), null)[0], claims));
        }
    }

    [Fact]
    public void Compute_SameInstant_LaterAppendHoldsAndBothBelongToItsPeriod()
    {
        ClaimEntry[] claims = [Claim(Stance.Affirms, 1), Claim(Stance.Affirms, 3), Claim(Stance.Denies, 3)];

        var timeline = Assert.Single(Timeline.Compute(claims, null));

        Assert.Equal("Affirms 1-3 0 | Denies 3-now 1,2", Show(timeline, claims));
    }

    [Fact]
    public void Compute_RetractedOrNotYetRecorded_LeftOutAsKnownAtSays()
    {
        ClaimEntry[] claims =
        [
            Claim(Stance.Affirms, 1),
            Claim(Stance.Denies, 2, recordedHour: 1, retractedAt: Recorded.AddHours(3)),
            Claim(Stance.Affirms, 3, recordedHour: 2),
        ];

        Assert.Equal("Affirms 1-now 0,2", Show(Timeline.Compute(claims, null)[0], claims));
        Assert.Equal("Affirms 1-2 0 | Denies 2-now 1", Show(Timeline.Compute(claims, Recorded.AddHours(1))[0], claims));
        Assert.Equal("Affirms 1-2 0 | Denies 2-3 1 | Affirms 3-now 2", Show(Timeline.Compute(claims, Recorded.AddHours(2))[0], claims));
    }

    [Fact]
    public void Compute_CertaintyOrQuantityChanges_StartsANewPeriod()
    {
        var estimate = new Quantity(10_000, 12_000, "soldiers");
        ClaimEntry[] claims =
        [
            Claim(Stance.Affirms, 1, certainty: Certainty.Possible),
            Claim(Stance.Affirms, 2),
            Claim(Stance.Affirms, 3, quantity: estimate),
            Claim(Stance.Affirms, 4, quantity: estimate with { }),
        ];

        var timeline = Assert.Single(Timeline.Compute(claims, null));

        Assert.Equal("Affirms 1-2 0 | Affirms 2-3 1 | Affirms 3-now 2,3", Show(timeline, claims));
    }

    [Fact]
    public void Compute_EveryInstant_AgreesWithPositionsAsOf()
    {
        var other = new Proposition("china", "sends-drones-to", "russia");
        ClaimEntry[] claims =
        [
            Claim(Stance.Affirms, 5), Claim(Stance.Denies, 2, proposition: other), Claim(Stance.Denies, 9),
            Claim(Stance.Affirms, 2), Claim(Stance.Affirms, 7, proposition: other), Claim(Stance.Denies, 9),
        ];
        var timelines = Timeline.Compute(claims, null);

        for (var day = 1; day <= 12; day++)
        {
            var positions = Position.ComputeAll(claims, Day(day), null);
            foreach (var timeline in timelines)
            {
                var period = timeline.Periods.SingleOrDefault(p => p.From <= Day(day) && (p.To is null || Day(day) < p.To));
                var position = positions.SingleOrDefault(p => p.Proposition == timeline.Proposition);
                Assert.Equal(position?.Stance, period?.Stance);
            }
        }
    }

    [Fact]
    public void Compute_PropositionKey_KeepsOnlyThatOneSortedByKey()
    {
        var china = new Proposition("china", "sends-drones-to", "russia");
        ClaimEntry[] claims = [Claim(Stance.Affirms, 1), Claim(Stance.Denies, 2, proposition: china)];

        Assert.Equal([china.Key, Troops.Key], Timeline.Compute(claims, null).Select(t => t.Key));
        Assert.Equal([china.Key], Timeline.Compute(claims, null, china.Key).Select(t => t.Key));
        Assert.Empty(Timeline.Compute(claims, null, "nobody:says"));
    }
}

using ClaimStore.Domain.Actors;
using ClaimStore.Domain.Claims;
using ClaimStore.Domain.Contradictions;
using ClaimStore.Domain.Propositions;
using FsCheck.Xunit;

namespace ClaimStore.UnitTests.Propositions;

/// <summary>
/// The ledger keeps claims in a compact form and builds views on read; its answers must be those of
/// <see cref="PropositionLedger.View"/> (the reference, over <see cref="ContradictionDetector.Detect"/>)
/// applied to the live claims, after every publish, and older snapshots must not change.
/// </summary>
public sealed class CompactLedgerTests
{
    private static readonly string[] Actors = ["china", "iran", "nato", "the-west", "russia"];
    private static readonly DateTimeOffset Recorded = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>
    /// Random logs with ties at one instant (also within one actor), offsets, quantities and
    /// retractions, published at random points: every snapshot equals the reference on the claims live then.
    /// </summary>
    [Property(MaxTest = 300)]
    public bool Publish_AnyLog_GivesTheReferenceAnswersAtEverySnapshot((byte Actor, bool Affirms, byte Day, byte Range, byte Op)[] raw)
    {
        var ledger = new PropositionLedger();
        var live = new Dictionary<Guid, ClaimFact>();
        var recorded = new List<ClaimRecorded>();
        var sequence = 0L;
        var checks = new List<(ReadModelSnapshot Snapshot, string Expected)>();
        foreach (var r in raw ?? [])
        {
            IActorEvent @event;
            if (r.Op % 5 == 0 && recorded.Count > 0)
            {
                var victim = recorded[r.Range % recorded.Count];
                @event = new ClaimRetracted(victim.ClaimId, victim.ActorId, null, Recorded);
                live.Remove(victim.ClaimId);
            }
            else
            {
                var claim = Claim(r.Actor, r.Affirms, r.Day, r.Range);
                @event = claim;
                recorded.Add(claim);
                live[claim.ClaimId] = new ClaimFact(claim.ClaimId, claim.ActorId, claim.Claim.Proposition, claim.Claim.Stance,
                    claim.Claim.Quantity, claim.Claim.StatedAt, sequence + 1);
            }

            ledger.Apply(++sequence, @event);
            if (r.Op % 3 == 0)
            {
                checks.Add((ledger.Publish(), Reference(live.Values)));
            }
        }

        checks.Add((ledger.Publish(), Reference(live.Values)));
        return checks.All(c => Describe(c.Snapshot) == c.Expected);
    }

    [Fact]
    public void Snapshot_AfterLaterRetractions_StillAnswersAsWhenPublished()
    {
        var ledger = new PropositionLedger();
        var accusation = Claim(0, affirms: true, day: 1, range: 0);
        var denial = Claim(1, affirms: false, day: 2, range: 0);
        ledger.Apply(1, accusation);
        ledger.Apply(2, denial);
        var before = ledger.Publish();
        var described = Describe(before);

        ledger.Apply(3, new ClaimRetracted(denial.ClaimId, denial.ActorId, null, Recorded));
        ledger.Apply(4, new ClaimRetracted(accusation.ClaimId, accusation.ActorId, null, Recorded));
        var after = ledger.Publish();

        Assert.Equal(described, Describe(before));
        Assert.Single(before.Contradictions());
        Assert.Empty(after.Propositions);
        Assert.Empty(after.Contradictions());
        Assert.False(after.Propositions.ContainsKey(accusation.Claim.Proposition.Key));
    }

    [Fact]
    public void Contradictions_ByProposition_AndActor_FilterWithoutBuildingViews()
    {
        var ledger = new PropositionLedger();
        ledger.Apply(1, Claim(2, affirms: true, day: 1, range: 0));
        ledger.Apply(2, Claim(0, affirms: false, day: 2, range: 0));
        ledger.Apply(3, Claim(2, affirms: true, day: 1, range: 1));
        ledger.Apply(4, Claim(1, affirms: false, day: 3, range: 1));
        var snapshot = ledger.Publish();

        Assert.Equal(2, snapshot.ContradictionCount());
        Assert.Equal(["china", "nato"], Assert.Single(snapshot.Contradictions("china:sends-drones-to:russia")).ActorIds.ToArray());
        Assert.Equal(["iran", "nato"], Assert.Single(snapshot.Contradictions(actorId: "iran")).ActorIds.ToArray());
        Assert.Empty(snapshot.Contradictions("nobody:sends-drones-to:russia"));
        Assert.Equal(2, snapshot.Contradictions(actorId: "nato").Count());
    }

    [Fact]
    public void Propositions_ManyKeys_AreListedInOrdinalKeyOrderAndFoundByKey()
    {
        var ledger = new PropositionLedger();
        var subjects = Enumerable.Range(0, 5000).Select(i => $"topic-{i * 7919 % 5000}").ToList();
        var sequence = 0L;
        foreach (var subject in subjects)
        {
            ledger.Apply(++sequence, new ClaimRecorded(Guid.NewGuid(), "nato",
                Content(new Proposition(subject, "threatens", null), Stance.Affirms, new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.FromHours(2)), null),
                Recorded));
        }

        var snapshot = ledger.Publish();

        Assert.Equal(subjects.Select(s => $"{s}:threatens").Order(StringComparer.Ordinal), snapshot.Propositions.Keys);
        var view = snapshot.Propositions["topic-4999:threatens"];
        Assert.Equal(new Proposition("topic-4999", "threatens", null), view.Proposition);
        Assert.Equal(TimeSpan.FromHours(2), Assert.Single(view.Stances).Since.Offset);
    }

    private static ClaimRecorded Claim(byte actor, bool affirms, byte day, byte range)
    {
        var quantity = range % 3 == 0 ? null : new Quantity(range % 40, (range % 40) + 10, range % 7 == 0 ? "battalions" : "drones");
        // Few distinct days, so claims share instants; some instants are written with another offset.
        var offset = TimeSpan.FromHours(day % 4 == 1 ? 2 : 0);
        var statedAt = new DateTimeOffset(2024, 1, 1 + (day % 6), 0, 0, 0, TimeSpan.Zero).ToOffset(offset);
        var subject = range % 2 == 0 ? "china" : "iran";
        return new ClaimRecorded(Guid.NewGuid(), Actors[actor % Actors.Length],
            Content(new Proposition(subject, "sends-drones-to", "russia"), affirms ? Stance.Affirms : Stance.Denies, statedAt, quantity),
            Recorded);
    }

    private static ClaimContent Content(Proposition proposition, Stance stance, DateTimeOffset statedAt, Quantity? quantity) =>
        new(proposition, stance, SpeechAct.Assertion, statedAt, null, null, null, [], null, Certainty.Certain, quantity, null);

    private static string Reference(IEnumerable<ClaimFact> live) =>
        string.Join('\n', live
            .GroupBy(c => c.Proposition.Key, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => Describe(PropositionLedger.View(g.Key, [.. g]))));

    private static string Describe(ReadModelSnapshot snapshot) =>
        string.Join('\n', snapshot.Propositions.Values.Select(Describe));

    private static string Describe(PropositionView view) =>
        $"{view.Key} {view.Proposition}\n" + string.Join('\n',
            view.Stances.Select(s => $"{s.ActorId} {s.Stance} {s.Since:O} {s.Quantity} {s.ClaimId}")
            .Concat(view.Contradictions.Select(c =>
                $"{c.ContradictionId} {c.Kind} {c.PropositionKey} {string.Join(',', c.ActorIds)} {string.Join(',', c.ClaimIds)} {c.OpenedAt:O} {c.ResolvedAt:O} {c.Status}")));
}

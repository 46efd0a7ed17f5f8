using ClaimStore.Domain.Claims;
using ClaimStore.Domain.Contradictions;
using ClaimStore.Domain.Propositions;
using FsCheck.Xunit;

namespace ClaimStore.UnitTests.Contradictions;

/// <summary>
/// The read side's rules over a whole log: each proposition's view is <see cref="PropositionView.Of"/> of its live
/// claims, as the projector writes it (<c>ReadSideTables</c>); here the live claims are folded in memory.
/// </summary>
public sealed class PropositionViewTests
{
    private static readonly string[] Actors = ["china", "iran", "nato", "the-west"];
    private static readonly DateTimeOffset Recorded = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static ClaimRecorded Claim(string actor, Stance stance, int day, string subject = "china", Quantity? quantity = null) =>
        new(Guid.NewGuid(), actor,
            new ClaimContent(new Proposition(subject, "sends-drones-to", "russia"), stance, SpeechAct.Assertion,
                new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero).AddDays(day), null, null, null, [], null,
                Certainty.Certain, quantity, null),
            Recorded);

    private sealed record Folded(long Sequence, SortedDictionary<string, PropositionView> Propositions);

    private static Folded Fold(IEnumerable<Domain.Actors.IActorEvent> events)
    {
        var live = new Dictionary<Guid, ClaimFact>();
        var sequence = 0L;
        foreach (var e in events)
        {
            ++sequence;
            if (e is ClaimRecorded r)
            {
                live[r.ClaimId] = new ClaimFact(r.ClaimId, r.ActorId, r.Claim.Proposition, r.Claim.Stance, r.Claim.Quantity, r.Claim.StatedAt, sequence);
            }
            else if (e is ClaimRetracted retracted)
            {
                live.Remove(retracted.ClaimId);
            }
        }

        return new Folded(sequence, new SortedDictionary<string, PropositionView>(
            live.Values.GroupBy(c => c.Proposition.Key).ToDictionary(g => g.Key, g => PropositionView.Of([.. g])), StringComparer.Ordinal));
    }

    [Fact]
    public void Publish_AccusationAndDenial_ShowsStancesAndTheContradiction()
    {
        var snapshot = Fold([Claim("nato", Stance.Affirms, 1), Claim("china", Stance.Denies, 2)]);

        var view = Assert.Single(snapshot.Propositions.Values);
        Assert.Equal(["china", "nato"], view.Stances.Select(s => s.ActorId));
        Assert.Equal([Stance.Denies, Stance.Affirms], view.Stances.Select(s => s.Stance));
        Assert.Single(view.Contradictions);
        Assert.Equal(2, snapshot.Sequence);
    }

    [Fact]
    public void Apply_RetractionOfTheDenial_RemovesTheContradictionItCaused()
    {
        var denial = Claim("china", Stance.Denies, 2);

        var snapshot = Fold([Claim("nato", Stance.Affirms, 1), denial, new ClaimRetracted(denial.ClaimId, "china", null, Recorded)]);

        var view = Assert.Single(snapshot.Propositions.Values);
        Assert.Empty(view.Contradictions);
        Assert.Equal(["nato"], view.Stances.Select(s => s.ActorId));
    }

    [Fact]
    public void Apply_RetractionOfTheOnlyClaim_RemovesTheProposition()
    {
        var only = Claim("nato", Stance.Affirms, 1);

        Assert.Empty(Fold([only, new ClaimRetracted(only.ClaimId, "nato", null, Recorded)]).Propositions);
    }

    [Fact]
    public void Between_AClaimThatEndsAConflictAndAnotherThatOpensOne_GivesUpdatedThenOpened()
    {
        var accusation = Claim("nato", Stance.Affirms, 1);
        var denial = Claim("china", Stance.Denies, 2);
        var before = Fold([accusation, denial]).Propositions.Values.Single().Contradictions;
        var after = Fold([accusation, denial, Claim("china", Stance.Affirms, 5), Claim("iran", Stance.Denies, 6)]).Propositions.Values.Single().Contradictions;

        var changes = ContradictionChange.Between(before, after, 4).ToList();

        // The conflict ends (updated); china reversing itself, and iran against both, open three.
        Assert.Equal([ContradictionChangeKind.Updated, .. Enumerable.Repeat(ContradictionChangeKind.Opened, 3)], changes.Select(c => c.Kind));
        Assert.NotNull(changes[0].Contradiction.ResolvedAt);
        Assert.All(changes, c => Assert.Equal(4, c.Sequence));
        var withdrawn = ContradictionChange.Between(after, [], 5).ToList();
        Assert.Equal(after.Length, withdrawn.Count);
        Assert.All(withdrawn, c => Assert.Equal(ContradictionChangeKind.Withdrawn, c.Kind));
    }

    /// <summary>Any arrival order of the same claims yields the same stances and contradictions.</summary>
    [Property(MaxTest = 200)]
    public bool Publish_AnyPermutationOfTheSameClaims_GivesTheSameAnswers((byte Actor, bool Affirms, byte Day, byte Range)[] raw, int seed)
    {
        var claims = Claims(raw);
        var shuffled = claims.ToList();
        new Random(seed).Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(shuffled));

        return Describe(Fold(claims)) == Describe(Fold(shuffled));
    }

    /// <summary>Retracting a claim and recording it again under a new id leaves every answer as it was.</summary>
    [Property(MaxTest = 200)]
    public bool Publish_RetractThenReAdd_ChangesNoAnswer((byte Actor, bool Affirms, byte Day, byte Range)[] raw, byte pick)
    {
        var claims = Claims(raw);
        if (claims.Count == 0)
        {
            return true;
        }

        var victim = claims[pick % claims.Count];
        var again = victim with { ClaimId = Guid.NewGuid() };
        var events = claims.Cast<Domain.Actors.IActorEvent>()
            .Append(new ClaimRetracted(victim.ClaimId, victim.ActorId, "re-entered", Recorded))
            .Append(again);

        return Describe(Fold(claims), withClaimIds: false) == Describe(Fold(events), withClaimIds: false);
    }

    // One claim per actor and day: two claims of one actor at one instant are ordered by append order by definition.
    private static List<ClaimRecorded> Claims((byte Actor, bool Affirms, byte Day, byte Range)[]? raw) =>
        [.. (raw ?? [])
            .DistinctBy(r => (r.Actor % Actors.Length, r.Day % 30))
            .Select(r => Claim(
                Actors[r.Actor % Actors.Length],
                r.Affirms ? Stance.Affirms : Stance.Denies,
                r.Day % 30,
                subject: r.Range % 2 == 0 ? "china" : "iran",
                quantity: r.Range % 3 == 0 ? null : new Quantity(r.Range, r.Range + 10, "drones")))];

    private static string Describe(Folded snapshot, bool withClaimIds = true) =>
        string.Join('\n', snapshot.Propositions.Values.SelectMany(p =>
            p.Stances.Select(s => $"{p.Key} {s.ActorId} {s.Stance} {s.Since:O} {s.Quantity} {(withClaimIds ? s.ClaimId : "")}")
            .Concat(p.Contradictions.Select(c =>
                $"{c.ContradictionId} {c.Kind} {string.Join(',', c.ActorIds)} {c.OpenedAt:O} {c.ResolvedAt:O} {(withClaimIds ? string.Join(',', c.ClaimIds) : "")}"))));
}

using System.Collections.Immutable;
using ClaimStore.Domain.Claims;
using ClaimStore.Domain.Contradictions;

namespace ClaimStore.Domain.Propositions;

/// <summary>One actor's current stance on a proposition.</summary>
public sealed record ActorStance(string ActorId, Stance Stance, Quantity? Quantity, DateTimeOffset Since, Guid ClaimId);

/// <summary>A proposition with at least one live claim: who holds what on it now, and its contradictions.</summary>
public sealed record PropositionView(
    Proposition Proposition,
    ImmutableArray<ActorStance> Stances,
    ImmutableArray<Contradiction> Contradictions)
{
    public string Key => Proposition.Key;

    /// <summary>
    /// The read side's rules for one proposition, a pure function of its live claims (at least one): each actor's
    /// stance is its latest live claim by <c>statedAt</c>, a later append winning a tie; the contradictions are
    /// <see cref="ContradictionDetector.Detect"/>'s.
    /// </summary>
    public static PropositionView Of(IReadOnlyCollection<ClaimFact> live)
    {
        var proposition = live.First().Proposition;
        var stances = live
            .GroupBy(c => c.ActorId, StringComparer.Ordinal)
            .Select(g => g.MaxBy(c => (c.StatedAt.UtcTicks, c.Sequence))!)
            .OrderBy(c => c.ActorId, StringComparer.Ordinal)
            .Select(c => new ActorStance(c.ActorId, c.Stance, c.Quantity, c.StatedAt, c.ClaimId));
        return new PropositionView(proposition, [.. stances], ContradictionDetector.Detect(proposition.Key, live));
    }
}

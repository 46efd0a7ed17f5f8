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
}

/// <summary>The cross-actor read side as of one position in the global log; immutable, safe to share.</summary>
public sealed record ReadModelSnapshot(long Sequence, ImmutableSortedDictionary<string, PropositionView> Propositions)
{
    public static readonly ReadModelSnapshot Empty =
        new(0, ImmutableSortedDictionary.Create<string, PropositionView>(StringComparer.Ordinal));
}

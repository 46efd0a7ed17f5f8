namespace ClaimStore.Domain.Contradictions;

public enum ContradictionChangeKind
{
    /// <summary>A contradiction id appears.</summary>
    Opened,

    /// <summary>Its <c>resolvedAt</c>, status or claims changed.</summary>
    Updated,

    /// <summary>It no longer exists (a retraction, or a back-dated claim that reshaped the periods).</summary>
    Withdrawn,
}

/// <summary>
/// One change of the contradiction list, with the global sequence of the last event that changed its proposition.
/// For a withdrawn one, the contradiction as it was last shown.
/// </summary>
public sealed record ContradictionChange(ContradictionChangeKind Kind, long Sequence, Contradiction Contradiction)
{
    /// <summary>
    /// What changed on one proposition from its contradictions <paramref name="before"/> to those <paramref name="after"/>
    /// the events up to <paramref name="sequence"/>: withdrawn ones first, then updated, then opened.
    /// </summary>
    public static IEnumerable<ContradictionChange> Between(
        IReadOnlyCollection<Contradiction> before, IReadOnlyCollection<Contradiction> after, long sequence)
    {
        var was = before.ToDictionary(c => c.ContradictionId, StringComparer.Ordinal);
        var now = after.ToDictionary(c => c.ContradictionId, StringComparer.Ordinal);
        return was.Values.Where(c => !now.ContainsKey(c.ContradictionId))
            .OrderBy(c => c.ContradictionId, StringComparer.Ordinal)
            .Select(c => new ContradictionChange(ContradictionChangeKind.Withdrawn, sequence, c))
            .Concat(now.Values.Where(c => was.TryGetValue(c.ContradictionId, out var old) && !Same(old, c))
                .OrderBy(c => c.ContradictionId, StringComparer.Ordinal)
                .Select(c => new ContradictionChange(ContradictionChangeKind.Updated, sequence, c)))
            .Concat(now.Values.Where(c => !was.ContainsKey(c.ContradictionId))
                .OrderBy(c => c.OpenedAt.UtcTicks).ThenBy(c => c.ContradictionId, StringComparer.Ordinal)
                .Select(c => new ContradictionChange(ContradictionChangeKind.Opened, sequence, c)));
    }

    // The id fixes kind, proposition, actors and openedAt; what else a client sees may move.
    private static bool Same(Contradiction a, Contradiction b) =>
        a.ResolvedAt == b.ResolvedAt && a.ClaimIds.AsSpan().SequenceEqual(b.ClaimIds.AsSpan());
}

using ClaimStore.Domain.Propositions;

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
/// One change of the contradiction list between two snapshots of the read side, with the global sequence of
/// the last event that changed its proposition. For a withdrawn one, the contradiction as it was last shown.
/// </summary>
public sealed record ContradictionChange(ContradictionChangeKind Kind, long Sequence, Contradiction Contradiction)
{
    /// <summary>
    /// What changed from <paramref name="before"/> to <paramref name="after"/>, the snapshot that followed it:
    /// per proposition changed in between, withdrawn ones first, then updated, then opened; in sequence order.
    /// </summary>
    public static IReadOnlyList<ContradictionChange> Between(ReadModelSnapshot before, ReadModelSnapshot after)
    {
        var changes = new List<ContradictionChange>();
        foreach (var (key, sequence) in after.Changes.OrderBy(c => c.Sequence))
        {
            var was = before.Contradictions(key).ToDictionary(c => c.ContradictionId, StringComparer.Ordinal);
            var now = after.Contradictions(key).ToDictionary(c => c.ContradictionId, StringComparer.Ordinal);
            changes.AddRange(was.Values.Where(c => !now.ContainsKey(c.ContradictionId))
                .OrderBy(c => c.ContradictionId, StringComparer.Ordinal)
                .Select(c => new ContradictionChange(ContradictionChangeKind.Withdrawn, sequence, c)));
            changes.AddRange(now.Values.Where(c => was.TryGetValue(c.ContradictionId, out var old) && !Same(old, c))
                .OrderBy(c => c.ContradictionId, StringComparer.Ordinal)
                .Select(c => new ContradictionChange(ContradictionChangeKind.Updated, sequence, c)));
            changes.AddRange(now.Values.Where(c => !was.ContainsKey(c.ContradictionId))
                .OrderBy(c => c.OpenedAt.UtcTicks).ThenBy(c => c.ContradictionId, StringComparer.Ordinal)
                .Select(c => new ContradictionChange(ContradictionChangeKind.Opened, sequence, c)));
        }

        return changes;
    }

    // The id fixes kind, proposition, actors and openedAt; what else a client sees may move.
    private static bool Same(Contradiction a, Contradiction b) =>
        a.ResolvedAt == b.ResolvedAt && a.ClaimIds.AsSpan().SequenceEqual(b.ClaimIds.AsSpan());
}

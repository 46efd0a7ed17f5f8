using System.Collections.Immutable;
using ClaimStore.Domain.Claims;

namespace ClaimStore.Domain.Contradictions;

/// <summary>
/// Contradictions on one proposition as a pure function of its live claims: walk the claims in
/// valid-time order (claims with the same statedAt take effect together; one actor's ties go by
/// append order), keep each actor's position, and record when conflicts between positions open
/// and close.
/// </summary>
public static class ContradictionDetector
{
    public static ImmutableArray<Contradiction> Detect(string propositionKey, IEnumerable<ClaimFact> liveClaims)
    {
        var ordered = liveClaims.OrderBy(c => c.StatedAt.UtcTicks).ThenBy(c => c.Sequence).ToList();
        var found = new List<Contradiction>();
        var positions = new SortedDictionary<string, ClaimFact>(StringComparer.Ordinal);
        var open = new Dictionary<(ContradictionKind Kind, string First, string Second), OpenConflict>();
        var changed = new HashSet<string>(StringComparer.Ordinal);
        var reversalsAtInstant = new Dictionary<string, int>(StringComparer.Ordinal);

        for (var i = 0; i < ordered.Count;)
        {
            var instant = ordered[i].StatedAt;
            changed.Clear();
            reversalsAtInstant.Clear();
            for (; i < ordered.Count && ordered[i].StatedAt.UtcTicks == instant.UtcTicks; i++)
            {
                var claim = ordered[i];
                if (positions.TryGetValue(claim.ActorId, out var previous) && previous.Stance != claim.Stance)
                {
                    var ordinal = reversalsAtInstant.GetValueOrDefault(claim.ActorId);
                    reversalsAtInstant[claim.ActorId] = ordinal + 1;
                    found.Add(new Contradiction(
                        Contradiction.IdFor(ContradictionKind.SelfReversal, propositionKey, [claim.ActorId], claim.StatedAt, ordinal),
                        ContradictionKind.SelfReversal, propositionKey, [claim.ActorId], [previous.ClaimId, claim.ClaimId],
                        claim.StatedAt, null));
                }

                positions[claim.ActorId] = claim;
                changed.Add(claim.ActorId);
            }

            foreach (var actor in changed)
            {
                foreach (var other in positions.Keys)
                {
                    // A pair of two changed actors is looked at once, from its first actor.
                    if (other == actor || changed.Contains(other) && string.CompareOrdinal(other, actor) < 0)
                    {
                        continue;
                    }

                    var (first, second) = string.CompareOrdinal(actor, other) < 0 ? (actor, other) : (other, actor);
                    Track(ContradictionKind.OpposingStances, first, second, instant);
                    Track(ContradictionKind.IncompatibleQuantities, first, second, instant);
                }
            }
        }

        foreach (var ((kind, first, second), conflict) in open)
        {
            found.Add(Close(kind, first, second, conflict, resolvedAt: null));
        }

        return [.. found.OrderBy(c => c.OpenedAt.UtcTicks).ThenBy(c => c.ContradictionId, StringComparer.Ordinal)];

        void Track(ContradictionKind kind, string first, string second, DateTimeOffset instant)
        {
            var (a, b) = (positions[first], positions[second]);
            var conflicting = kind switch
            {
                ContradictionKind.OpposingStances => a.Stance != b.Stance,
                _ => a.Stance == Stance.Affirms && b.Stance == Stance.Affirms
                    && a.Quantity is { } qa && b.Quantity is { } qb && qa.IsDisjointFrom(qb),
            };
            var key = (kind, first, second);
            if (conflicting)
            {
                // Still the same period: the record names the claims that hold it now.
                open[key] = open.TryGetValue(key, out var existing)
                    ? existing with { First = a.ClaimId, Second = b.ClaimId }
                    : new OpenConflict(instant, a.ClaimId, b.ClaimId);
            }
            else if (open.Remove(key, out var ended))
            {
                found.Add(Close(kind, first, second, ended, instant));
            }
        }

        Contradiction Close(ContradictionKind kind, string first, string second, OpenConflict conflict, DateTimeOffset? resolvedAt) =>
            new(Contradiction.IdFor(kind, propositionKey, [first, second], conflict.OpenedAt),
                kind, propositionKey, [first, second], [conflict.First, conflict.Second], conflict.OpenedAt, resolvedAt);
    }

    private sealed record OpenConflict(DateTimeOffset OpenedAt, Guid First, Guid Second);
}

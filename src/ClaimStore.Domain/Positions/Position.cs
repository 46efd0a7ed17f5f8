using ClaimStore.Domain.Actors;
using ClaimStore.Domain.Claims;
using ClaimStore.Domain.Compact;

namespace ClaimStore.Domain.Positions;

/// <summary>
/// An actor's stance on a proposition at a point in time: the stance of its latest live claim
/// (by <c>statedAt</c>, ties by append order), with how many live claims it made on it.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record Position(
    [property: Id(0)] Proposition Proposition,
    [property: Id(1)] Stance Stance,
    [property: Id(2)] Certainty Certainty,
    [property: Id(3)] Quantity? Quantity,
    [property: Id(4)] DateTimeOffset Since,
    [property: Id(5)] Guid ClaimId,
    [property: Id(6)] int ClaimCount)
{
    /// <summary>
    /// <see cref="ComputeAll(IEnumerable{ClaimEntry}, DateTimeOffset?, DateTimeOffset?)"/> over a ledger, read in
    /// place: instants compare as UTC ticks, propositions by their index, and no entry is materialised
    /// except the holders'.
    /// </summary>
    public static IReadOnlyList<Position> ComputeAll(ClaimLedger claims, DateTimeOffset? asOf, DateTimeOffset? knownAt)
    {
        var known = knownAt?.UtcTicks;
        var until = asOf?.UtcTicks ?? long.MaxValue;
        var counts = new int[claims.PropositionCount];
        var holders = new int[claims.PropositionCount];
        var holderStatedAt = new long[claims.PropositionCount];
        var held = 0;
        for (var chunk = 0; chunk < claims.ChunkCount; chunk++)
        {
            var slots = claims.SlotsOf(chunk);
            var retractedAt = claims.RetractedAtOf(chunk);
            var first = chunk * ClaimLedger.ChunkSize;
            for (var i = 0; i < slots.Length; i++)
            {
                ref readonly var slot = ref slots[i];
                var retracted = retractedAt?[i] ?? 0;
                var live = known is { } k
                    ? slot.RecordedAtUtcTicks <= k && (retracted == 0 || retracted > k)
                    : retracted == 0;
                if (!live || slot.StatedAtUtcTicks > until)
                {
                    continue;
                }

                var p = slot.Proposition;
                // A later append with the same statedAt takes over: ties go by append order.
                if (counts[p]++ == 0)
                {
                    held++;
                    (holders[p], holderStatedAt[p]) = (first + i, slot.StatedAtUtcTicks);
                }
                else if (slot.StatedAtUtcTicks >= holderStatedAt[p])
                {
                    (holders[p], holderStatedAt[p]) = (first + i, slot.StatedAtUtcTicks);
                }
            }
        }

        var positions = new Position[held];
        var keys = new string[held];
        var n = 0;
        for (var p = 0; p < counts.Length; p++)
        {
            if (counts[p] > 0)
            {
                var holder = claims[holders[p]];
                positions[n] = new Position(holder.Proposition, holder.Stance, holder.Certainty, holder.Quantity,
                    holder.StatedAt, holder.ClaimId, counts[p]);
                keys[n++] = holder.Proposition.Key;
            }
        }

        Array.Sort(keys, positions, StringComparer.Ordinal);
        return positions;
    }

    /// <summary>
    /// Positions held at valid time <paramref name="asOf"/> as known at transaction time
    /// <paramref name="knownAt"/> (either may be null: now). The claims must be in append order;
    /// the answer depends only on the set, not on the order of <c>statedAt</c>.
    /// </summary>
    public static IReadOnlyList<Position> ComputeAll(
        IEnumerable<ClaimEntry> claimsInAppendOrder, DateTimeOffset? asOf, DateTimeOffset? knownAt)
    {
        var byProposition = new Dictionary<string, (ClaimEntry Holder, int Count)>(StringComparer.Ordinal);
        foreach (var claim in claimsInAppendOrder)
        {
            if (!claim.IsLiveAt(knownAt) || asOf is { } t && claim.StatedAt > t)
            {
                continue;
            }

            var key = claim.Proposition.Key;
            if (byProposition.TryGetValue(key, out var current))
            {
                // A later append with the same statedAt takes over: ties go by append order.
                var holder = claim.StatedAt >= current.Holder.StatedAt ? claim : current.Holder;
                byProposition[key] = (holder, current.Count + 1);
            }
            else
            {
                byProposition[key] = (claim, 1);
            }
        }

        return [.. byProposition
            .OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => new Position(
                p.Value.Holder.Proposition,
                p.Value.Holder.Stance,
                p.Value.Holder.Certainty,
                p.Value.Holder.Quantity,
                p.Value.Holder.StatedAt,
                p.Value.Holder.ClaimId,
                p.Value.Count))];
    }
}

using System.Collections.Immutable;
using ClaimStore.Domain.Claims;

namespace ClaimStore.Domain.Timelines;

/// <summary>
/// A stretch of valid time in which an actor's position on a proposition stayed the same: one
/// stance, certainty and quantity, from the <c>statedAt</c> of the claims that began it until the
/// <c>statedAt</c> of the claims that ended it (<see cref="To"/> null while it holds).
/// </summary>
[GenerateSerializer, Immutable]
public sealed record StancePeriod(
    [property: Id(0)] Stance Stance,
    [property: Id(1)] Certainty Certainty,
    [property: Id(2)] Quantity? Quantity,
    [property: Id(3)] DateTimeOffset From,
    [property: Id(4)] DateTimeOffset? To,
    [property: Id(5)] ImmutableArray<Guid> ClaimIds);

/// <summary>An actor's positions on one proposition along valid time, as maximal periods in time order.</summary>
[GenerateSerializer, Immutable]
public sealed record PropositionTimeline(
    [property: Id(0)] Proposition Proposition,
    [property: Id(1)] ImmutableArray<StancePeriod> Periods)
{
    public string Key => Proposition.Key;
}

/// <summary>
/// The rules of an actor's timeline: the same inputs as its positions (live claims as known at
/// <c>knownAt</c>), walked along valid time. At any instant t the period containing t
/// (<c>From ≤ t &lt; To</c>) is exactly the position <c>asOf = t</c> would show.
/// </summary>
public static class Timeline
{
    /// <summary>
    /// Timelines of every proposition the actor has a live claim on (or only <paramref name="propositionKey"/>),
    /// sorted by key. The claims must be in append order; the answer depends only on the set of claims.
    /// </summary>
    public static ImmutableArray<PropositionTimeline> Compute(
        IEnumerable<ClaimEntry> claimsInAppendOrder, DateTimeOffset? knownAt, string? propositionKey = null)
    {
        var byProposition = new Dictionary<string, List<ClaimEntry>>(StringComparer.Ordinal);
        foreach (var claim in claimsInAppendOrder)
        {
            if (!claim.IsLiveAt(knownAt))
            {
                continue;
            }

            var key = claim.Proposition.Key;
            if (propositionKey is not null && key != propositionKey)
            {
                continue;
            }

            if (!byProposition.TryGetValue(key, out var claims))
            {
                byProposition[key] = claims = [];
            }

            claims.Add(claim);
        }

        return [.. byProposition
            .OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => new PropositionTimeline(p.Value[0].Proposition, Periods(p.Value)))];
    }

    /// <summary>
    /// Walks one proposition's claims in valid-time order. Claims stated at the same instant take
    /// effect together, and the last appended of them holds the position; all of them belong to the
    /// period that instant leads into. A claim that repeats the position extends the period.
    /// </summary>
    private static ImmutableArray<StancePeriod> Periods(List<ClaimEntry> claimsInAppendOrder)
    {
        // A stable sort keeps append order among claims stated at the same instant.
        var ordered = claimsInAppendOrder.OrderBy(c => c.StatedAt.UtcTicks).ToList();
        var periods = ImmutableArray.CreateBuilder<StancePeriod>();
        StancePeriod? current = null;
        var ids = ImmutableArray.CreateBuilder<Guid>();
        for (var start = 0; start < ordered.Count;)
        {
            var end = start;
            while (end + 1 < ordered.Count && ordered[end + 1].StatedAt.UtcTicks == ordered[start].StatedAt.UtcTicks)
            {
                end++;
            }

            var holder = ordered[end];
            if (current is null || !SamePosition(current, holder))
            {
                if (current is not null)
                {
                    periods.Add(current with { To = holder.StatedAt, ClaimIds = ids.ToImmutable() });
                    ids.Clear();
                }

                current = new StancePeriod(holder.Stance, holder.Certainty, holder.Quantity, ordered[start].StatedAt, null, []);
            }

            for (var i = start; i <= end; i++)
            {
                ids.Add(ordered[i].ClaimId);
            }

            start = end + 1;
        }

        if (current is not null)
        {
            periods.Add(current with { ClaimIds = ids.ToImmutable() });
        }

        return periods.ToImmutable();
    }

    private static bool SamePosition(StancePeriod period, ClaimEntry claim) =>
        period.Stance == claim.Stance && period.Certainty == claim.Certainty && period.Quantity == claim.Quantity;
}

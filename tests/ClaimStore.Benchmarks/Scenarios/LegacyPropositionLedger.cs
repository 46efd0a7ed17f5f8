using System.Collections.Immutable;
using ClaimStore.Domain.Actors;
using ClaimStore.Domain.Claims;
using ClaimStore.Domain.Contradictions;
using ClaimStore.Domain.Propositions;

namespace ClaimStore.Benchmarks.Scenarios;

/// <summary>
/// The read side's ledger as it was before the compact form (git history of
/// src/ClaimStore.Domain/Propositions/PropositionLedger.cs, 7e6e931), kept only so the readside
/// benchmark can compare the two side by side: an object per claim and a full view per proposition.
/// </summary>
public sealed class LegacyPropositionLedger
{
    private readonly Dictionary<string, List<ClaimFact>> _liveByProposition = new(StringComparer.Ordinal);
    private readonly Dictionary<Guid, ClaimFact> _liveClaims = [];
    private readonly HashSet<string> _dirty = new(StringComparer.Ordinal);
    private LegacySnapshot _published = LegacySnapshot.Empty;

    /// <summary>The last global sequence applied.</summary>
    public long Sequence { get; private set; }

    public void Apply(long sequence, IActorEvent @event)
    {
        if (sequence <= Sequence)
        {
            return; // already applied: following the log again from an older cursor is harmless
        }

        Sequence = sequence;
        switch (@event)
        {
            case ClaimRecorded e:
                var key = e.Claim.Proposition.Key;
                if (!_liveByProposition.TryGetValue(key, out var claims))
                {
                    _liveByProposition[key] = claims = [];
                }

                // Facts of one proposition share its Proposition instance, and actor ids are interned:
                // a million claims should not mean a million copies of "china".
                var proposition = claims.Count > 0 ? claims[0].Proposition : e.Claim.Proposition;
                var fact = new ClaimFact(e.ClaimId, string.Intern(e.ActorId), proposition, e.Claim.Stance, e.Claim.Quantity, e.Claim.StatedAt, sequence);
                _liveClaims[e.ClaimId] = fact;
                claims.Add(fact);
                _dirty.Add(key);
                break;
            case ClaimRetracted e when _liveClaims.Remove(e.ClaimId, out var retracted):
                var retractedKey = retracted.Proposition.Key;
                _liveByProposition[retractedKey].Remove(retracted);
                _dirty.Add(retractedKey);
                break;
        }
    }

    /// <summary>Recomputes the propositions changed since the last call and returns the new snapshot.</summary>
    public LegacySnapshot Publish()
    {
        var propositions = _published.Propositions.ToBuilder();
        foreach (var key in _dirty)
        {
            var live = _liveByProposition[key];
            if (live.Count == 0)
            {
                _liveByProposition.Remove(key);
                propositions.Remove(key);
            }
            else
            {
                propositions[key] = View(key, live);
            }
        }

        _dirty.Clear();
        _published = new LegacySnapshot(Sequence, propositions.ToImmutable());
        return _published;
    }

    private static PropositionView View(string key, IReadOnlyCollection<ClaimFact> live)
    {
        // Each actor's latest live claim by statedAt; a later append wins a tie.
        var stances = live
            .GroupBy(c => c.ActorId, StringComparer.Ordinal)
            .Select(g => g.MaxBy(c => (c.StatedAt.UtcTicks, c.Sequence))!)
            .OrderBy(c => c.ActorId, StringComparer.Ordinal)
            .Select(c => new ActorStance(c.ActorId, c.Stance, c.Quantity, c.StatedAt, c.ClaimId));
        return new PropositionView(live.First().Proposition, [.. stances], ContradictionDetector.Detect(key, live));
    }
}

/// <summary>The legacy ledger's published state: every proposition's full view.</summary>
public sealed record LegacySnapshot(long Sequence, ImmutableSortedDictionary<string, PropositionView> Propositions)
{
    public static readonly LegacySnapshot Empty =
        new(0, ImmutableSortedDictionary.Create<string, PropositionView>(StringComparer.Ordinal));
}

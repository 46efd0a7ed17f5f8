using ClaimStore.Domain.Claims;
using ClaimStore.Domain.Propositions;

namespace ClaimStore.Domain.Contradictions;

/// <summary>
/// <see cref="ContradictionDetector.Detect"/> for the ledger's compact claims: the same walk and the
/// same records (ids, claims, times, order), written to the ledger's 36-byte form instead of objects,
/// with its working sets reused from one proposition to the next. One instance per ledger, one thread.
/// <see cref="ContradictionDetector"/> stays the readable statement of the rules; a property test
/// holds the two to the same answers.
/// </summary>
internal sealed class CompactDetector(ChunkedStore<StoredClaim> claims, ChunkedStore<string> actors, ChunkedStore<Quantity> quantities)
{
    private readonly Dictionary<int, int> _positions = []; // actor -> handle of its current claim
    private readonly List<int> _actorsWithPosition = [];
    private readonly Dictionary<(ContradictionKind Kind, int First, int Second), OpenConflict> _open = [];
    private readonly List<int> _changed = [];
    private readonly HashSet<int> _changedSet = [];
    private readonly Dictionary<int, int> _reversalsAtInstant = [];
    private readonly List<StoredContradiction> _found = [];

    /// <param name="key">The proposition's key (part of every id).</param>
    /// <param name="live">Handles of the live claims, ordered by (statedAt, handle).</param>
    public StoredContradiction[]? Detect(string key, ReadOnlySpan<int> live)
    {
        if (live.Length < 2)
        {
            return null;
        }

        _positions.Clear();
        _actorsWithPosition.Clear();
        _open.Clear();
        _found.Clear();
        for (var i = 0; i < live.Length;)
        {
            var instantBy = live[i];
            var instant = claims[instantBy].UtcTicks;
            _changed.Clear();
            _changedSet.Clear();
            _reversalsAtInstant.Clear();
            for (; i < live.Length && claims[live[i]].UtcTicks == instant; i++)
            {
                var handle = live[i];
                ref readonly var claim = ref claims[handle];
                if (_positions.TryGetValue(claim.Actor, out var previous))
                {
                    if (claims[previous].Stance != claim.Stance)
                    {
                        var ordinal = _reversalsAtInstant.GetValueOrDefault(claim.Actor);
                        _reversalsAtInstant[claim.Actor] = ordinal + 1;
                        var id = Contradiction.NameFor(ContradictionKind.SelfReversal, key, [actors[claim.Actor]], claim.StatedAt, ordinal);
                        _found.Add(new StoredContradiction(id, ContradictionKind.SelfReversal, previous, handle, handle, -1));
                    }
                }
                else
                {
                    _actorsWithPosition.Add(claim.Actor);
                }

                _positions[claim.Actor] = handle;
                if (_changedSet.Add(claim.Actor))
                {
                    _changed.Add(claim.Actor);
                }
            }

            foreach (var actor in _changed)
            {
                foreach (var other in _actorsWithPosition)
                {
                    // A pair of two changed actors is looked at once, from its first actor.
                    if (other == actor || (_changedSet.Contains(other) && string.CompareOrdinal(actors[other], actors[actor]) < 0))
                    {
                        continue;
                    }

                    var (first, second) = string.CompareOrdinal(actors[actor], actors[other]) < 0 ? (actor, other) : (other, actor);
                    Track(ContradictionKind.OpposingStances, first, second, instantBy);
                    Track(ContradictionKind.IncompatibleQuantities, first, second, instantBy);
                }
            }
        }

        foreach (var ((kind, first, second), conflict) in _open)
        {
            _found.Add(Close(kind, first, second, conflict, resolvedBy: -1));
        }

        if (_found.Count == 0)
        {
            return null;
        }

        var found = _found.ToArray();
        // Guid order is the order of the ids' text (big-endian, lowercase hex), as in Detect.
        Array.Sort(found, (x, y) => claims[x.OpenedBy].UtcTicks != claims[y.OpenedBy].UtcTicks
            ? claims[x.OpenedBy].UtcTicks.CompareTo(claims[y.OpenedBy].UtcTicks)
            : x.Id.CompareTo(y.Id));
        return found;

        void Track(ContradictionKind kind, int first, int second, int instantBy)
        {
            var (a, b) = (_positions[first], _positions[second]);
            ref readonly var ca = ref claims[a];
            ref readonly var cb = ref claims[b];
            var conflicting = kind switch
            {
                ContradictionKind.OpposingStances => ca.Stance != cb.Stance,
                _ => ca.Stance == Stance.Affirms && cb.Stance == Stance.Affirms
                    && ca.Quantity >= 0 && cb.Quantity >= 0 && quantities[ca.Quantity].IsDisjointFrom(quantities[cb.Quantity]),
            };
            var pair = (kind, first, second);
            if (conflicting)
            {
                // Still the same period: the record names the claims that hold it now.
                _open[pair] = _open.TryGetValue(pair, out var existing)
                    ? existing with { First = a, Second = b }
                    : new OpenConflict(instantBy, a, b);
            }
            else if (_open.Remove(pair, out var ended))
            {
                _found.Add(Close(kind, first, second, ended, instantBy));
            }
        }

        StoredContradiction Close(ContradictionKind kind, int first, int second, OpenConflict conflict, int resolvedBy) =>
            new(Contradiction.NameFor(kind, key, [actors[first], actors[second]], claims[conflict.OpenedBy].StatedAt),
                kind, conflict.First, conflict.Second, conflict.OpenedBy, resolvedBy);
    }

    private readonly record struct OpenConflict(int OpenedBy, int First, int Second);
}

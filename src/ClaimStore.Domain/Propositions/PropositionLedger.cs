using ClaimStore.Domain.Actors;
using ClaimStore.Domain.Claims;
using ClaimStore.Domain.Contradictions;

namespace ClaimStore.Domain.Propositions;

/// <summary>
/// The cross-actor read side, folded from the global event log in sequence order: live claims per
/// proposition, and from them current stances and contradictions. Deterministic: the same log
/// gives the same answers, whoever folds it and however often (the proposition numbers inside depend
/// on the order the silo first met each proposition, and are never shown). Not thread-safe; one writer
/// applies events and publishes immutable snapshots for readers.
/// </summary>
/// <remarks>
/// Kept compact (a million claims in well under 150 MiB): claims are 40-byte structs in log order in
/// chunked storage, actors and quantities are numbered, propositions are numbered in a
/// <see cref="PropositionTable"/> (the process-wide one, which the actor ledgers share), and each
/// proposition holds only the handles of its live claims and its contradictions in a 36-byte form.
/// A snapshot shares all of that with the ledger: appends land beyond what it can see, and a
/// proposition that changes gets new arrays in a copied chunk. Views, stances and contradiction
/// records are built when a reader asks. A retracted claim keeps its 40 bytes until the host refolds.
/// </remarks>
public sealed class PropositionLedger
{
    private readonly ChunkedStore<StoredClaim> _claims = new();
    private readonly ChunkedStore<string> _actors = new();
    private readonly Dictionary<string, int> _actorNumbers = new(StringComparer.Ordinal);
    private readonly ChunkedStore<Quantity> _quantities = new();
    private readonly PropositionTable _table;
    private readonly ChunkedStore<PropositionEntry> _entries = new();
    private readonly LiveClaimIndex _live;
    private readonly CompactDetector _detector;
    private readonly Dictionary<int, List<int>> _changed = [];
    private readonly Dictionary<int, long> _changedBy = [];
    private int _liveCount;

    /// <param name="table">Where propositions are numbered; <see cref="PropositionTable.Shared"/> when null.</param>
    public PropositionLedger(PropositionTable? table = null)
    {
        _table = table ?? PropositionTable.Shared;
        _live = new LiveClaimIndex(_claims);
        _detector = new CompactDetector(_claims, _actors, _quantities);
    }

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
                var proposition = PropositionNumber(e.Claim.Proposition);
                var quantity = e.Claim.Quantity is { } q ? _quantities.Append(q) : -1;
                var handle = _claims.Append(new StoredClaim(e.ClaimId, e.Claim.StatedAt, e.Claim.Stance, ActorNumber(e.ActorId), proposition, quantity));
                _live.Set(e.ClaimId, handle);
                // The newest claim goes after every claim stated at or before its instant: (statedAt, log order).
                var claims = Changing(proposition, sequence);
                var at = claims.BinarySearch(handle, new ValidTimeOrder(_claims));
                claims.Insert(~at, handle);
                break;
            case ClaimRetracted e when _live.TryGet(e.ClaimId, out var retracted, out var slot):
                _live.RemoveAt(slot);
                var of = Changing(_claims[retracted].Proposition, sequence);
                of.RemoveAt(of.BinarySearch(retracted, new ValidTimeOrder(_claims)));
                break;
        }
    }

    /// <summary>Whether events of this type change the ledger; a follower may <see cref="Skip"/> the others unread.</summary>
    public static bool Reads(Type eventType) => eventType == typeof(ClaimRecorded) || eventType == typeof(ClaimRetracted);

    /// <summary>Moves past an event that does not change the ledger (see <see cref="Reads"/>).</summary>
    public void Skip(long sequence) => Sequence = Math.Max(Sequence, sequence);

    /// <summary>
    /// Recomputes the propositions changed since the last call and returns the new snapshot, which names them
    /// (<see cref="ReadModelSnapshot.Changes"/>).
    /// </summary>
    public ReadModelSnapshot Publish()
    {
        var changes = _changedBy.Select(c => new PropositionChange(_table.Key(c.Key), c.Value)).ToList();
        _changedBy.Clear();
        foreach (var (number, live) in _changed)
        {
            var wasLive = _entries[number].IsLive;
            int[] claims = [.. live];
            var entry = claims.Length == 0 ? default : new PropositionEntry(claims, _detector.Detect(_table.Key(number), claims));
            _entries.Set(number, entry);
            _liveCount += (entry.IsLive ? 1 : 0) - (wasLive ? 1 : 0);
        }

        _changed.Clear();
        return new ReadModelSnapshot(
            Sequence, changes, _liveCount, _table.Freeze(), _entries.Freeze(), _claims.Freeze(), _actors.Freeze(), _quantities.Freeze());
    }

    public static PropositionView View(string key, IReadOnlyCollection<ClaimFact> live)
    {
        // Each actor's latest live claim by statedAt; a later append wins a tie.
        var stances = live
            .GroupBy(c => c.ActorId, StringComparer.Ordinal)
            .Select(g => g.MaxBy(c => (c.StatedAt.UtcTicks, c.Sequence))!)
            .OrderBy(c => c.ActorId, StringComparer.Ordinal)
            .Select(c => new ActorStance(c.ActorId, c.Stance, c.Quantity, c.StatedAt, c.ClaimId));
        return new PropositionView(live.First().Proposition, [.. stances], ContradictionDetector.Detect(key, live));
    }

    private List<int> Changing(int proposition, long sequence)
    {
        _changedBy[proposition] = sequence;
        if (!_changed.TryGetValue(proposition, out var claims))
        {
            _changed[proposition] = claims = [.. _entries[proposition].Claims ?? []];
        }

        return claims;
    }

    private int PropositionNumber(Proposition proposition)
    {
        // Numbers are the table's, shared with the actor ledgers: the entries cover every number up to the
        // highest this ledger has seen, and those of propositions it has no claim on stay empty.
        var number = _table.Number(proposition);
        while (_entries.Count <= number)
        {
            _entries.Append(default);
        }

        return number;
    }

    private int ActorNumber(string actorId)
    {
        if (!_actorNumbers.TryGetValue(actorId, out var number))
        {
            _actorNumbers[actorId] = number = _actors.Append(actorId);
        }

        return number;
    }

    /// <summary>Valid-time order of claim handles: statedAt, then log order (the handle itself).</summary>
    private readonly struct ValidTimeOrder(ChunkedStore<StoredClaim> claims) : IComparer<int>
    {
        public int Compare(int x, int y)
        {
            var byTime = claims[x].UtcTicks.CompareTo(claims[y].UtcTicks);
            return byTime != 0 ? byTime : x.CompareTo(y);
        }
    }
}

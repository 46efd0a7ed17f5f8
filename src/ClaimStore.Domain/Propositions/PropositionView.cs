using System.Collections;
using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;
using ClaimStore.Domain.Claims;
using ClaimStore.Domain.Contradictions;

namespace ClaimStore.Domain.Propositions;

/// <summary>A proposition whose live claims changed, and the global sequence of the last event that changed them.</summary>
public readonly record struct PropositionChange(string PropositionKey, long Sequence);

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

/// <summary>
/// The cross-actor read side as of one position in the global log; immutable, safe to share. It holds
/// the ledger's compact form; <see cref="PropositionView"/>s and <see cref="Contradiction"/>s are built
/// on each read (nothing is cached, so reading everything does not grow the host).
/// </summary>
public sealed class ReadModelSnapshot
{
    public static readonly ReadModelSnapshot Empty = new PropositionLedger().Publish();

    private readonly PropositionTableView _keys;
    private readonly ChunkedView<PropositionEntry> _entries;
    private readonly ChunkedView<StoredClaim> _claims;
    private readonly ChunkedView<string> _actors;
    private readonly ChunkedView<Quantity> _quantities;

    internal ReadModelSnapshot(
        long sequence, IReadOnlyList<PropositionChange> changes, int liveCount, PropositionTableView keys, ChunkedView<PropositionEntry> entries, ChunkedView<StoredClaim> claims,
        ChunkedView<string> actors, ChunkedView<Quantity> quantities)
    {
        Sequence = sequence;
        Changes = changes;
        (_keys, _entries, _claims, _actors, _quantities) = (keys, entries, claims, actors, quantities);
        Propositions = new PropositionCatalog(this, liveCount);
    }

    public long Sequence { get; }

    /// <summary>The propositions whose claims changed since the snapshot before this one.</summary>
    public IReadOnlyList<PropositionChange> Changes { get; }

    /// <summary>Every proposition with a live claim, by key (enumerated in ordinal key order).</summary>
    public PropositionCatalog Propositions { get; }

    /// <summary>
    /// Contradictions of one proposition (or all), optionally only those naming <paramref name="actorId"/>;
    /// in no particular order across propositions.
    /// </summary>
    public IEnumerable<Contradiction> Contradictions(string? propositionKey = null, string? actorId = null)
    {
        if (propositionKey is not null)
        {
            var number = Find(propositionKey);
            return number < 0 ? [] : ContradictionsOf(number, propositionKey, actorId);
        }

        return Enumerable.Range(0, _entries.Count)
            .Where(number => _entries[number].Contradictions is not null)
            .SelectMany(number => ContradictionsOf(number, _keys.Key(number), actorId));
    }

    /// <summary>How many contradictions there are, without building them.</summary>
    public int ContradictionCount()
    {
        var count = 0;
        for (var number = 0; number < _entries.Count; number++)
        {
            count += _entries[number].Contradictions?.Length ?? 0;
        }

        return count;
    }

    internal int Find(string key)
    {
        var number = _keys.Find(key);
        return number >= 0 && number < _entries.Count && _entries[number].IsLive ? number : -1;
    }

    internal IEnumerable<int> LiveInKeyOrder()
    {
        var live = Enumerable.Range(0, _entries.Count).Where(number => _entries[number].IsLive).ToArray();
        Array.Sort(live, (x, y) => CompareKeys(_keys.Bytes(x), _keys.Bytes(y)));
        return live;
    }

    internal string Key(int number) => _keys.Key(number);

    internal PropositionView View(int number, string key)
    {
        var entry = _entries[number];
        // Each actor's latest live claim: claims are in (statedAt, log order), so the last one seen.
        var latest = new Dictionary<int, int>();
        foreach (var handle in entry.Claims!)
        {
            latest[_claims[handle].Actor] = handle;
        }

        var stances = latest
            .Select(pair => (ActorId: _actors[pair.Key], Handle: pair.Value))
            .OrderBy(s => s.ActorId, StringComparer.Ordinal)
            .Select(s =>
            {
                ref readonly var claim = ref _claims[s.Handle];
                return new ActorStance(s.ActorId, claim.Stance, QuantityOf(claim), claim.StatedAt, claim.ClaimId);
            });
        return new PropositionView(_keys.Proposition(number), [.. stances], [.. ContradictionsOf(number, key, actorId: null)]);
    }

    private IEnumerable<Contradiction> ContradictionsOf(int number, string key, string? actorId)
    {
        foreach (var stored in _entries[number].Contradictions ?? [])
        {
            var (first, second) = (_claims[stored.First], _claims[stored.Second]);
            ImmutableArray<string> actorIds = stored.Kind == ContradictionKind.SelfReversal
                ? [_actors[first.Actor]]
                : [_actors[first.Actor], _actors[second.Actor]];
            if (actorId is null || actorIds.Contains(actorId))
            {
                yield return new Contradiction(
                    stored.Id.ToString(), stored.Kind, key, actorIds, [first.ClaimId, second.ClaimId],
                    _claims[stored.OpenedBy].StatedAt, stored.ResolvedBy < 0 ? null : _claims[stored.ResolvedBy].StatedAt);
            }
        }
    }

    private Quantity? QuantityOf(in StoredClaim claim) => claim.Quantity < 0 ? null : _quantities[claim.Quantity];

    // Ordinal string order; for ASCII keys (every slug) the UTF-8 bytes compare the same way.
    private static int CompareKeys(ReadOnlySpan<byte> x, ReadOnlySpan<byte> y) =>
        x.IndexOfAnyExceptInRange((byte)0, (byte)0x7F) < 0 && y.IndexOfAnyExceptInRange((byte)0, (byte)0x7F) < 0
            ? x.SequenceCompareTo(y)
            : string.CompareOrdinal(System.Text.Encoding.UTF8.GetString(x), System.Text.Encoding.UTF8.GetString(y));
}

/// <summary>The propositions of a <see cref="ReadModelSnapshot"/>: each view is built when asked for.</summary>
public sealed class PropositionCatalog : IReadOnlyDictionary<string, PropositionView>
{
    private readonly ReadModelSnapshot _snapshot;

    internal PropositionCatalog(ReadModelSnapshot snapshot, int count) => (_snapshot, Count) = (snapshot, count);

    public int Count { get; }

    public IEnumerable<string> Keys => _snapshot.LiveInKeyOrder().Select(_snapshot.Key);

    /// <summary>Every proposition's view, in ordinal key order, built one at a time as enumerated.</summary>
    public IEnumerable<PropositionView> Values => _snapshot.LiveInKeyOrder().Select(number => _snapshot.View(number, _snapshot.Key(number)));

    public PropositionView this[string key] => TryGetValue(key, out var view) ? view : throw new KeyNotFoundException(key);

    public bool ContainsKey(string key) => _snapshot.Find(key) >= 0;

    public bool TryGetValue(string key, [MaybeNullWhen(false)] out PropositionView value)
    {
        var number = _snapshot.Find(key);
        value = number < 0 ? null : _snapshot.View(number, key);
        return value is not null;
    }

    public IEnumerator<KeyValuePair<string, PropositionView>> GetEnumerator() =>
        Values.Select(view => KeyValuePair.Create(view.Key, view)).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

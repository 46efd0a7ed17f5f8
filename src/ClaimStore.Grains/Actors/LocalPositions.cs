using System.Collections.Concurrent;

namespace ClaimStore.Grains.Actors;

/// <summary>
/// The current positions of the actors whose grain is active in this silo, as their grain published
/// them: a read of current positions arriving at this silo is answered from here without a grain
/// call, and from the grain itself when nothing fresh is here (decision 0008).
/// </summary>
/// <remarks>
/// <para>
/// Only the grain writes its entry, and always from its own turns, so entries change in the order the
/// grain's state did. It publishes each state it commits before it acknowledges the write; an entry
/// therefore never lags behind a write acknowledged by this activation. Until the grain has computed
/// the positions of its newest state the entry holds none, and readers ask the grain.
/// </para>
/// <para>
/// On deactivation the grain withdraws its entry; an activation of the same actor on another silo has
/// no entry here, so reads through this silo go to it. An entry not refreshed by a grain call for
/// <see cref="FreshFor"/> is not served either: that read goes to the grain, which keeps a grain that
/// is only polled from being collected as idle.
/// </para>
/// </remarks>
public sealed class LocalPositions(TimeProvider clock)
{
    /// <summary>How long an entry is served without a call to its grain.</summary>
    public static readonly TimeSpan FreshFor = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    /// <summary>Number of entries: one per actor grain active in this silo that has published.</summary>
    public int Count => _entries.Count;

    /// <summary>The current positions of <paramref name="actorId"/>, when its grain is active here and has published them lately.</summary>
    public bool TryGetCurrent(string actorId, out ActorPositions positions)
    {
        if (_entries.TryGetValue(actorId, out var entry) && entry.Current is { } current
            && clock.GetTimestamp() - entry.PublishedAt < FreshTicks)
        {
            positions = current;
            return true;
        }

        positions = null!;
        return false;
    }

    /// <summary>
    /// Publishes the current positions of <paramref name="owner"/>'s newest state, or null when that
    /// state's positions are not computed yet. Called only from the owner grain's turns.
    /// </summary>
    internal void Publish(string actorId, object owner, ActorPositions? current) =>
        _entries[actorId] = new Entry(owner, current, clock.GetTimestamp());

    /// <summary>Withdraws <paramref name="owner"/>'s entry; an entry of a later activation stays.</summary>
    internal void Withdraw(string actorId, object owner)
    {
        if (_entries.TryGetValue(actorId, out var entry) && ReferenceEquals(entry.Owner, owner))
        {
            _entries.TryRemove(new KeyValuePair<string, Entry>(actorId, entry));
        }
    }

    private long FreshTicks => (long)(FreshFor.TotalSeconds * clock.TimestampFrequency);

    private sealed record Entry(object Owner, ActorPositions? Current, long PublishedAt);
}

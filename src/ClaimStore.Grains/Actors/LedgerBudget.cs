using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ClaimStore.Grains.Actors;

/// <summary>How much memory a silo's actor grains may hold in whole ledgers (decision 0017).</summary>
public sealed class LedgerBudgetOptions
{
    public const long DefaultBytes = 256L << 20;

    /// <summary>Past this many bytes the least recently used ledgers rest; 0 rests every ledger after each use.</summary>
    public long Bytes { get; set; } = DefaultBytes;
}

/// <summary>
/// The silo's budget for whole actor ledgers (decision 0017). Each grain reports the ledger it holds;
/// when they add up to more than <see cref="LedgerBudgetOptions.Bytes"/>, the grains used least recently
/// are asked to rest (<see cref="IActorGrain.RestAsync"/>) until the total is three quarters of the budget.
/// A resting grain still takes claims; it loads its ledger again for the next read or retraction.
/// </summary>
/// <remarks>
/// Only a grain writes its entry, from its own turns. The pass that sheds ledgers runs on its own, one at a
/// time, and asks by grain call, so a ledger only ever changes in its grain's turns. A grain that is writing
/// declines. Passes follow one another while the silo is over the budget and they rest something; after a
/// pass that rested nothing, the next report over the budget starts another.
/// </remarks>
public sealed partial class LedgerBudget(
    IGrainFactory grains, IOptions<LedgerBudgetOptions> options, TimeProvider clock, ILogger<LedgerBudget> logger)
{
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private long _bytes;
    private long _rested;
    private int _shedding;

    /// <summary>Bytes of the whole ledgers held in this silo now.</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>Actors whose grain holds a whole ledger in this silo.</summary>
    public int Count => _entries.Count;

    /// <summary>The budget.</summary>
    public long Limit => options.Value.Bytes;

    /// <summary>Ledgers rested since the silo started.</summary>
    public long Rested => Interlocked.Read(ref _rested);

    /// <summary>Records that <paramref name="owner"/> holds a whole ledger of <paramref name="bytes"/>, used just now.</summary>
    internal void Hold(string actorId, object owner, long bytes)
    {
        var entry = new Entry(owner, bytes, clock.GetTimestamp());
        // Whoever replaces or removes an entry takes its bytes off, exactly once.
        while (true)
        {
            if (_entries.TryGetValue(actorId, out var old))
            {
                if (_entries.TryUpdate(actorId, entry, old))
                {
                    Interlocked.Add(ref _bytes, bytes - old.Bytes);
                    break;
                }
            }
            else if (_entries.TryAdd(actorId, entry))
            {
                Interlocked.Add(ref _bytes, bytes);
                break;
            }
        }

        if (Bytes > Limit && Interlocked.CompareExchange(ref _shedding, 1, 0) == 0)
        {
            _ = Task.Run(ShedAsync);
        }
    }

    /// <summary>Marks <paramref name="owner"/>'s ledger as used just now.</summary>
    internal void Touch(string actorId, object owner)
    {
        if (_entries.TryGetValue(actorId, out var entry) && ReferenceEquals(entry.Owner, owner))
        {
            entry.UsedAt = clock.GetTimestamp();
        }
    }

    /// <summary>Records that <paramref name="owner"/> holds no whole ledger any more; an entry of a later activation stays.</summary>
    internal void Release(string actorId, object owner)
    {
        if (_entries.TryGetValue(actorId, out var entry) && ReferenceEquals(entry.Owner, owner)
            && _entries.TryRemove(new KeyValuePair<string, Entry>(actorId, entry)))
        {
            Interlocked.Add(ref _bytes, -entry.Bytes);
        }
    }

    /// <summary>Whether a grain of this silo holds the whole ledger of <paramref name="actorId"/>.</summary>
    internal bool Holds(string actorId) => _entries.ContainsKey(actorId);

    private async Task ShedAsync()
    {
        try
        {
            // Ledgers grown while a pass ran start no pass of their own: another follows while passes make progress.
            while (Bytes > Limit && await ShedOnceAsync() > 0)
            {
            }
        }
        finally
        {
            Volatile.Write(ref _shedding, 0);
        }
    }

    private async Task<int> ShedOnceAsync()
    {
        var target = Limit / 4 * 3;
        var rested = 0;
        // Oldest use first; the order is taken once, so a pass asks each grain at most once.
        var oldest = _entries.ToArray();
        Array.Sort(oldest, (a, b) => a.Value.UsedAt.CompareTo(b.Value.UsedAt));
        foreach (var (actorId, _) in oldest)
        {
            if (Bytes <= target)
            {
                break;
            }

            // A grain that left since the pass began would be activated by the call, only to rest.
            if (!_entries.ContainsKey(actorId))
            {
                continue;
            }

            try
            {
                if (await grains.GetActorGrain(actorId).RestAsync())
                {
                    rested++;
                    Interlocked.Increment(ref _rested);
                }
            }
            catch (Exception ex)
            {
                // The grain went away or its silo did: its ledger left with it.
                LogRestFailed(logger, actorId, ex);
            }
        }

        return rested;
    }

    private sealed class Entry(object owner, long bytes, long usedAt)
    {
        public object Owner { get; } = owner;

        public long Bytes { get; } = bytes;

        public long UsedAt
        {
            get => Volatile.Read(ref usedAt);
            set => Volatile.Write(ref usedAt, value);
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Actor {ActorId} could not be asked to rest")]
    private static partial void LogRestFailed(ILogger logger, string actorId, Exception exception);
}

namespace ClaimStore.Domain.Compact;

/// <summary>
/// An array that immutable owners share as long as they extend it in turn: an owner that holds
/// the first <c>count</c> items appends in place when nobody has written past <c>count</c>
/// (claimed with one compare-and-swap), and copies otherwise. Items below an owner's count are
/// written once and never again, so every owner keeps seeing exactly what it saw.
/// </summary>
internal sealed class AppendBuffer<T>
{
    private int _filled;

    private AppendBuffer(T[] items, int filled)
    {
        Items = items;
        _filled = filled;
    }

    public static AppendBuffer<T> Empty { get; } = new([], 0);

    public T[] Items { get; }

    public static AppendBuffer<T> Of(T[] items, int count) => new(items, count);

    /// <summary>The buffer holding the first <paramref name="count"/> items of this one and then <paramref name="item"/>.</summary>
    public AppendBuffer<T> Append(int count, T item, int maxCapacity = int.MaxValue)
    {
        if (count < Items.Length && Interlocked.CompareExchange(ref _filled, count + 1, count) == count)
        {
            Items[count] = item;
            return this;
        }

        var items = new T[Math.Min(maxCapacity, GrownCapacity(count))];
        Array.Copy(Items, items, count);
        items[count] = item;
        return new(items, count + 1);
    }

    /// <summary>
    /// The capacity after outgrowing <paramref name="count"/> items: doubling while small, then a quarter
    /// more each time. Doubling leaves a quarter of an array unused on average (a third right after it
    /// grows), and ten thousand actors' arrays are most of the host's memory; growing by a quarter
    /// leaves a tenth unused, for a few more copies of arrays that are small anyway.
    /// </summary>
    internal static int GrownCapacity(int count) => count < 64 ? Math.Max(4, count * 2) : count + count / 4;

    /// <summary>Bytes of the items array, given the size of one item.</summary>
    public long Bytes(int itemBytes) => (long)Items.Length * itemBytes;
}

/// <summary>
/// Open addressing over positions (stored plus one; 0 is empty), shared the same way: a slot goes
/// from empty to a position once and never changes. Owners check every hit against their own
/// items, so entries another owner added (or that lie past an owner's count) only lengthen a probe.
/// </summary>
internal sealed class PositionTable
{
    // A table of up to 65,536 slots holds positions below 49,152 (it is never more than three quarters
    // full), so two bytes a slot do. Nearly every actor's tables are that small.
    private const int NarrowSlots = 1 << 16;

    private readonly ushort[]? _narrow;
    private readonly int[]? _wide;
    private readonly int _capacity;
    private int _occupied;

    private PositionTable(int capacity)
    {
        _capacity = capacity;
        if (capacity <= NarrowSlots)
        {
            _narrow = new ushort[capacity];
        }
        else
        {
            _wide = new int[capacity];
        }
    }

    /// <summary>A table with no room: the first insert builds a real one.</summary>
    public static PositionTable Empty { get; } = new(0);

    public static PositionTable For(int entries)
    {
        var capacity = 16;
        while (capacity * 3 < entries * 4)
        {
            capacity *= 2;
        }

        return new(capacity);
    }

    /// <summary>
    /// Kept at most three quarters full: linear probes stay short (about 2.5 slots for a hit, 8.5 for a
    /// miss) and a table takes at most 2.7 bytes per entry (5.3 past 49,152 entries) instead of 4 (8) at half full.
    /// </summary>
    public bool HasRoom => (Volatile.Read(ref _occupied) + 1) * 4 <= _capacity * 3;

    /// <summary>Bytes of the slots.</summary>
    public long Bytes => _narrow is not null ? _capacity * 2L : _capacity * 4L;

    public void Insert(int hash, int position)
    {
        var mask = _capacity - 1;
        if (_narrow is { } narrow)
        {
            var value = checked((ushort)(position + 1));
            for (var i = hash & mask; ; i = (i + 1) & mask)
            {
                if (Volatile.Read(ref narrow[i]) == 0 && Interlocked.CompareExchange(ref narrow[i], value, (ushort)0) == 0)
                {
                    Interlocked.Increment(ref _occupied);
                    return;
                }
            }
        }

        var wide = _wide!;
        for (var i = hash & mask; ; i = (i + 1) & mask)
        {
            if (Volatile.Read(ref wide[i]) == 0 && Interlocked.CompareExchange(ref wide[i], position + 1, 0) == 0)
            {
                Interlocked.Increment(ref _occupied);
                return;
            }
        }
    }

    /// <summary>Candidate positions for <paramref name="hash"/>, in probe order, up to the first empty slot.</summary>
    public Probe Find(int hash) => new(_narrow, _wide, _capacity, hash);

    public struct Probe(ushort[]? narrow, int[]? wide, int capacity, int hash)
    {
        private int _next = hash & (capacity - 1);

        /// <summary>The next candidate position, or -1 when the probe reached an empty slot.</summary>
        public int Next()
        {
            if (capacity == 0)
            {
                return -1;
            }

            var value = narrow is not null ? Volatile.Read(ref narrow[_next]) : Volatile.Read(ref wide![_next]);
            _next = (_next + 1) & (capacity - 1);
            return value - 1;
        }
    }
}

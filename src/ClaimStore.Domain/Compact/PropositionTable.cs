using System.Buffers;
using System.Collections.Concurrent;
using System.Text;
using ClaimStore.Domain.Claims;

namespace ClaimStore.Domain.Compact;

/// <summary>
/// Distinct propositions, each numbered once: its key (<see cref="Proposition.Key"/>) as UTF-8 bytes in
/// shared chunks, about 50 bytes a proposition with its share of the index. An actor's
/// <see cref="ClaimLedger"/> numbers its propositions in the table that was <see cref="Current"/> when it
/// started, so the text of a proposition is held once, however many actors and claims name it, instead of
/// as strings in every ledger.
/// </summary>
/// <remarks>
/// Any thread may add; one lock orders the adds. Lookups take no lock. They read the current
/// <see cref="Tables"/>, whose arrays change only past what any published number refers to: a number's bytes
/// and location are written before the index slot that names it, a slot goes from empty to a number once, and a
/// grown array is a copy published whole. A lookup that finds nothing, or a number too new for the arrays it
/// holds, is decided again under the lock. Numbers are stable for the life of the table and nothing is
/// removed; once a table holds <see cref="RotateAfterKeyBytes"/> of keys a new one becomes current, and the
/// old one goes away with the last ledger that started in it (decision 0017).
/// A key splits back into its parts at ':', which no slug contains. A proposition whose parts do contain one
/// (possible only past the API's validation) is kept whole beside the table, numbered by equality rather than
/// by key, and not found by key.
/// </remarks>
public sealed class PropositionTable
{
    private const int BytesPerChunk = 1 << 19;
    private const int MaxKeyBytes = (1 << 20) - 1;
    private const int StackKeyBytes = 256;

    private readonly Lock _gate = new();
    private readonly ConcurrentDictionary<Proposition, int> _unusualNumbers = new();
    private readonly ConcurrentDictionary<int, Proposition> _unusual = new();
    private Tables _tables = new([], [], new int[1024]);
    private int _chunkCount;
    private int _used = BytesPerChunk; // of the last chunk: the first key opens one
    private int _count;
    private int _indexed;
    private long _keyBytes;
    private volatile bool _hasUnusual;

    /// <summary>Key bytes a table takes before the next one becomes current: about 650,000 keys of 50 bytes, 2,000,000 of 16.</summary>
    public const long RotateAfterKeyBytes = 32L << 20;

    private static PropositionTable s_current = new();

    /// <summary>The table new ledgers number their propositions in.</summary>
    public static PropositionTable Current
    {
        get
        {
            var current = Volatile.Read(ref s_current);
            if (current.KeyBytes < RotateAfterKeyBytes)
            {
                return current;
            }

            // Whoever sees it full first starts the next one; the others take that one.
            var next = new PropositionTable();
            return Interlocked.CompareExchange(ref s_current, next, current) == current ? next : Volatile.Read(ref s_current);
        }
    }

    /// <summary>Propositions numbered so far.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Bytes of the keys stored (for measuring memory).</summary>
    public long KeyBytes => Volatile.Read(ref _keyBytes);

    /// <summary>Bytes of the arrays the table holds now: key chunks, locations, index (for measuring memory).</summary>
    public long ArrayBytes
    {
        get
        {
            var tables = Volatile.Read(ref _tables);
            var chunkBytes = tables.Chunks.Sum(chunk => (long)(chunk?.Length ?? 0));
            return chunkBytes + (tables.Chunks.Length * 8L) + (tables.Locations.Length * 8L) + (tables.Slots.Length * 4L);
        }
    }

    /// <summary>The number of <paramref name="proposition"/>, adding it if it is new.</summary>
    public int Number(Proposition proposition)
    {
        if (IsUnusual(proposition))
        {
            return NumberUnusual(proposition);
        }

        var length = KeyLength(proposition);
        var rented = length <= StackKeyBytes ? null : ArrayPool<byte>.Shared.Rent(length);
        Span<byte> bytes = rented is null ? stackalloc byte[StackKeyBytes] : rented;
        bytes = bytes[..WriteKey(proposition, bytes)];
        try
        {
            var hash = Hash(bytes);
            var found = Volatile.Read(ref _tables).Find(bytes, hash, int.MaxValue);
            if (found >= 0)
            {
                return found;
            }

            lock (_gate)
            {
                found = _tables.Find(bytes, hash, int.MaxValue);
                return found >= 0 ? found : Add(bytes, hash, indexed: true);
            }
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>The proposition numbered <paramref name="number"/> (a new object each time; equal by value).</summary>
    public Proposition Get(int number)
    {
        if (_hasUnusual && _unusual.TryGetValue(number, out var unusual))
        {
            return unusual;
        }

        var bytes = Volatile.Read(ref _tables).Bytes(number);
        var first = bytes.IndexOf((byte)':');
        var rest = bytes[(first + 1)..];
        var second = rest.IndexOf((byte)':');
        return second < 0
            ? new Proposition(Encoding.UTF8.GetString(bytes[..first]), Encoding.UTF8.GetString(rest), null)
            : new Proposition(Encoding.UTF8.GetString(bytes[..first]), Encoding.UTF8.GetString(rest[..second]),
                Encoding.UTF8.GetString(rest[(second + 1)..]));
    }

    /// <summary>The key of the proposition numbered <paramref name="number"/>.</summary>
    public string Key(int number) => Encoding.UTF8.GetString(Volatile.Read(ref _tables).Bytes(number));

    internal static int Hash(ReadOnlySpan<byte> bytes)
    {
        var hash = new HashCode();
        hash.AddBytes(bytes);
        return hash.ToHashCode() & int.MaxValue;
    }

    private static bool IsUnusual(Proposition p) =>
        p.Subject.Contains(':', StringComparison.Ordinal) || p.Predicate.Contains(':', StringComparison.Ordinal)
        || p.Object?.Contains(':', StringComparison.Ordinal) == true;

    private static int KeyLength(Proposition p) =>
        Encoding.UTF8.GetByteCount(p.Subject) + 1 + Encoding.UTF8.GetByteCount(p.Predicate)
        + (p.Object is null ? 0 : 1 + Encoding.UTF8.GetByteCount(p.Object));

    private static int WriteKey(Proposition p, Span<byte> target)
    {
        var n = Encoding.UTF8.GetBytes(p.Subject, target);
        target[n++] = (byte)':';
        n += Encoding.UTF8.GetBytes(p.Predicate, target[n..]);
        if (p.Object is not null)
        {
            target[n++] = (byte)':';
            n += Encoding.UTF8.GetBytes(p.Object, target[n..]);
        }

        return n;
    }

    private int NumberUnusual(Proposition proposition)
    {
        if (_unusualNumbers.TryGetValue(proposition, out var number))
        {
            return number;
        }

        lock (_gate)
        {
            if (_unusualNumbers.TryGetValue(proposition, out number))
            {
                return number;
            }

            // Known as unusual before its number is published, so no reader splits its key.
            var bytes = Encoding.UTF8.GetBytes(proposition.Key);
            CheckLength(bytes.Length);
            _unusual[_count] = proposition;
            _hasUnusual = true;
            number = Add(bytes, Hash(bytes), indexed: false);
            _unusualNumbers[proposition] = number;
            return number;
        }
    }

    // Under the lock.
    private int Add(ReadOnlySpan<byte> bytes, int hash, bool indexed)
    {
        CheckLength(bytes.Length);
        var tables = _tables;
        var (chunks, locations, slots) = (tables.Chunks, tables.Locations, tables.Slots);
        if (_used + bytes.Length > BytesPerChunk || _chunkCount == 0)
        {
            if (_chunkCount == chunks.Length)
            {
                chunks = [.. chunks, .. new byte[Math.Max(16, chunks.Length)][]];
            }

            Volatile.Write(ref chunks[_chunkCount++], new byte[Math.Max(BytesPerChunk, bytes.Length)]);
            _used = 0;
        }

        bytes.CopyTo(chunks[_chunkCount - 1].AsSpan(_used));
        var location = ((long)(_chunkCount - 1) << 40) | ((long)_used << 20) | (uint)bytes.Length;
        _used += bytes.Length;
        Volatile.Write(ref _keyBytes, _keyBytes + bytes.Length);
        var number = _count;
        if (number == locations.Length)
        {
            // Readers holding the old array still find every number below its length there.
            var grown = new long[Math.Max(1024, locations.Length * 2)];
            locations.CopyTo(grown, 0);
            locations = grown;
        }

        Volatile.Write(ref locations[number], location);
        if (!ReferenceEquals(chunks, tables.Chunks) || !ReferenceEquals(locations, tables.Locations))
        {
            tables = new Tables(chunks, locations, slots);
            Volatile.Write(ref _tables, tables);
        }

        if (indexed)
        {
            Place(slots, hash, number);
            if (++_indexed * 4 > slots.Length * 3)
            {
                Volatile.Write(ref _tables, new Tables(chunks, locations, Reindexed(tables, slots.Length * 2, number + 1)));
            }
        }

        Volatile.Write(ref _count, number + 1);
        return number;
    }

    private int[] Reindexed(Tables tables, int size, int count)
    {
        var slots = new int[size];
        for (var number = 0; number < count; number++)
        {
            if (!_unusual.ContainsKey(number))
            {
                Place(slots, Hash(tables.Bytes(number)), number);
            }
        }

        return slots;
    }

    private static void CheckLength(int keyBytes)
    {
        if (keyBytes > MaxKeyBytes)
        {
            throw new ArgumentException($"A proposition key of {keyBytes} bytes is longer than the table stores.");
        }
    }

    private static void Place(int[] slots, int hash, int number)
    {
        var mask = slots.Length - 1;
        var slot = hash & mask;
        while (slots[slot] != 0)
        {
            slot = (slot + 1) & mask;
        }

        Volatile.Write(ref slots[slot], number + 1);
    }

    /// <summary>The table's arrays at one moment (chunks of key bytes, each number's location, the index: number + 1, 0 empty).</summary>
    internal sealed class Tables(byte[][] chunks, long[] locations, int[] slots)
    {
        public byte[][] Chunks { get; } = chunks;

        public long[] Locations { get; } = locations;

        public int[] Slots { get; } = slots;

        public ReadOnlySpan<byte> Bytes(int number)
        {
            var location = Volatile.Read(ref Locations[number]);
            return Volatile.Read(ref Chunks[(int)(location >> 40)]).AsSpan((int)((location >> 20) & 0xFFFFF), (int)(location & 0xFFFFF));
        }

        /// <summary>The number of the key <paramref name="bytes"/> below <paramref name="limit"/>, or -1 (also when these arrays are too old to tell).</summary>
        public int Find(ReadOnlySpan<byte> bytes, int hash, int limit)
        {
            var mask = Slots.Length - 1;
            for (var slot = hash & mask; ; slot = (slot + 1) & mask)
            {
                var found = Volatile.Read(ref Slots[slot]) - 1;
                if (found < 0)
                {
                    return -1;
                }

                if (found < limit && found < Locations.Length && IsKnown(found) && Bytes(found).SequenceEqual(bytes))
                {
                    return found;
                }
            }
        }

        private bool IsKnown(int number)
        {
            var location = Volatile.Read(ref Locations[number]);
            var chunk = (int)(location >> 40);
            return location != 0 && chunk < Chunks.Length && Volatile.Read(ref Chunks[chunk]) is not null;
        }
    }
}

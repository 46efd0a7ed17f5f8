using System.Buffers;
using System.Text;

namespace ClaimStore.Domain.Propositions;

/// <summary>
/// Proposition keys as UTF-8 bytes in shared chunks (about 40 bytes a key instead of a 100-byte string
/// object), numbered in order of first appearance, with an insert-only open-addressing index from key
/// to number. One writer adds keys; readers look keys up through a frozen <see cref="KeysView"/>.
/// Insert-only linear probing is safe for them: a slot, once set, never changes, and a number beyond
/// the view's count is a key the view does not know yet. Keys are never removed (a proposition whose
/// last claim is retracted keeps its number), so numbers are stable for the life of the ledger.
/// </summary>
internal sealed class PropositionKeys
{
    private const int BytesPerChunk = 1 << 19;
    private const int MaxKeyBytes = (1 << 20) - 1;

    private byte[][] _chunks = [];
    private int _chunkCount;
    private int _used = BytesPerChunk; // of the last chunk: the first key opens one
    private long[] _locations = [];
    private int[] _slots = new int[1024]; // key number + 1; 0 is empty

    public int Count { get; private set; }

    /// <summary>The key's number, adding the key if it is new.</summary>
    public int GetOrAdd(string key)
    {
        var byteCount = Encoding.UTF8.GetByteCount(key);
        var rented = byteCount <= 256 ? null : ArrayPool<byte>.Shared.Rent(byteCount);
        Span<byte> bytes = rented is null ? stackalloc byte[256] : rented;
        bytes = bytes[..Encoding.UTF8.GetBytes(key, bytes)];
        try
        {
            var hash = Hash(bytes);
            var mask = _slots.Length - 1;
            for (var slot = hash & mask; ; slot = (slot + 1) & mask)
            {
                var found = _slots[slot] - 1;
                if (found < 0)
                {
                    var number = Add(bytes);
                    _slots[slot] = number + 1;
                    if (Count * 2 > _slots.Length)
                    {
                        Grow();
                    }

                    return number;
                }

                if (Bytes(_chunks, _locations[found]).SequenceEqual(bytes))
                {
                    return found;
                }
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

    public string Key(int number) => Encoding.UTF8.GetString(Bytes(_chunks, _locations[number]));

    public KeysView Freeze() => new(_chunks[.._chunkCount], _locations, _slots, Count);

    private int Add(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length > MaxKeyBytes)
        {
            throw new ArgumentException($"A proposition key of {bytes.Length} bytes is longer than the read side stores.", nameof(bytes));
        }

        if (_used + bytes.Length > BytesPerChunk || _chunkCount == 0)
        {
            if (_chunkCount == _chunks.Length)
            {
                Array.Resize(ref _chunks, Math.Max(16, _chunks.Length * 2));
            }

            _chunks[_chunkCount++] = new byte[Math.Max(BytesPerChunk, bytes.Length)];
            _used = 0;
        }

        bytes.CopyTo(_chunks[_chunkCount - 1].AsSpan(_used));
        var location = ((long)(_chunkCount - 1) << 40) | ((long)_used << 20) | (uint)bytes.Length;
        _used += bytes.Length;
        if (Count == _locations.Length)
        {
            // Readers hold the old array, whose entries below their count never change.
            Array.Resize(ref _locations, Math.Max(1024, _locations.Length * 2));
        }

        _locations[Count] = location;
        return Count++;
    }

    private void Grow()
    {
        // A new table: frozen views keep the old one, which is no longer written.
        var slots = new int[_slots.Length * 2];
        var mask = slots.Length - 1;
        for (var number = 0; number < Count; number++)
        {
            var slot = Hash(Bytes(_chunks, _locations[number])) & mask;
            while (slots[slot] != 0)
            {
                slot = (slot + 1) & mask;
            }

            slots[slot] = number + 1;
        }

        _slots = slots;
    }

    internal static int Hash(ReadOnlySpan<byte> bytes)
    {
        var hash = new HashCode();
        hash.AddBytes(bytes);
        return hash.ToHashCode() & int.MaxValue;
    }

    internal static ReadOnlySpan<byte> Bytes(byte[][] chunks, long location) =>
        chunks[(int)(location >> 40)].AsSpan((int)((location >> 20) & 0xFFFFF), (int)(location & 0xFFFFF));
}

/// <summary>The keys known at one moment: safe to read from any thread.</summary>
internal readonly struct KeysView(byte[][] chunks, long[] locations, int[] slots, int count)
{
    public int Count => count;

    public ReadOnlySpan<byte> Bytes(int number) => PropositionKeys.Bytes(chunks, locations[number]);

    public string Key(int number) => Encoding.UTF8.GetString(Bytes(number));

    /// <summary>The key's number, or -1 if this view does not know it.</summary>
    public int Find(string key)
    {
        if (count == 0)
        {
            return -1;
        }

        var byteCount = Encoding.UTF8.GetByteCount(key);
        var rented = byteCount <= 256 ? null : ArrayPool<byte>.Shared.Rent(byteCount);
        Span<byte> bytes = rented is null ? stackalloc byte[256] : rented;
        bytes = bytes[..Encoding.UTF8.GetBytes(key, bytes)];
        try
        {
            var mask = slots.Length - 1;
            for (var slot = PropositionKeys.Hash(bytes) & mask; ; slot = (slot + 1) & mask)
            {
                var found = slots[slot] - 1;
                if (found < 0)
                {
                    return -1;
                }

                // A number at or beyond the count was added after this view was taken.
                if (found < count && Bytes(found).SequenceEqual(bytes))
                {
                    return found;
                }
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
}

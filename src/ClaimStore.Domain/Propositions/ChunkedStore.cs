namespace ClaimStore.Domain.Propositions;

/// <summary>
/// A growable array in fixed-size chunks for one writer and any number of readers of frozen views.
/// Appending writes past every view's count, so it never disturbs a reader; overwriting an element
/// copies its chunk first once per freeze (copy-on-write), so a view never changes after it is taken.
/// Nothing is ever moved, so there is no large copy when it grows.
/// </summary>
internal sealed class ChunkedStore<T>
{
    internal const int ChunkBits = 12;
    internal const int ChunkSize = 1 << ChunkBits;
    internal const int ChunkMask = ChunkSize - 1;

    private T[][] _chunks = [];
    private bool[] _owned = [];
    private int _chunkCount;

    public int Count { get; private set; }

    public ref readonly T this[int index] => ref _chunks[index >> ChunkBits][index & ChunkMask];

    public int Append(in T item)
    {
        var index = Count;
        var chunk = index >> ChunkBits;
        if (chunk == _chunkCount)
        {
            if (chunk == _chunks.Length)
            {
                Array.Resize(ref _chunks, Math.Max(16, _chunks.Length * 2));
                Array.Resize(ref _owned, _chunks.Length);
            }

            _chunks[chunk] = new T[ChunkSize];
            _owned[chunk] = true;
            _chunkCount++;
        }

        _chunks[chunk][index & ChunkMask] = item;
        Count = index + 1;
        return index;
    }

    public void Set(int index, in T item)
    {
        var chunk = index >> ChunkBits;
        if (!_owned[chunk])
        {
            _chunks[chunk] = (T[])_chunks[chunk].Clone();
            _owned[chunk] = true;
        }

        _chunks[chunk][index & ChunkMask] = item;
    }

    /// <summary>What is stored now, unchanging from here on.</summary>
    public ChunkedView<T> Freeze()
    {
        Array.Clear(_owned, 0, _chunkCount);
        return new ChunkedView<T>(_chunks[.._chunkCount], Count);
    }
}

/// <summary>A frozen view of a <see cref="ChunkedStore{T}"/>: safe to read from any thread.</summary>
internal readonly struct ChunkedView<T>(T[][] chunks, int count)
{
    public int Count => count;

    public ref readonly T this[int index] => ref chunks[index >> ChunkedStore<T>.ChunkBits][index & ChunkedStore<T>.ChunkMask];
}

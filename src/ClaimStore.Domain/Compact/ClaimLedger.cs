using System.Collections;
using System.Collections.Immutable;
using System.Runtime.InteropServices;
using ClaimStore.Domain.Claims;

namespace ClaimStore.Domain.Compact;

/// <summary>
/// An actor's claims in stream order, immutable and compact: 64-byte slots in chunks of
/// <see cref="ChunkSize"/>, each quantity stored once per actor, each proposition once per actor as its
/// number in the process-wide <see cref="PropositionTable"/> (which holds its text), and a hash index
/// from claim id to position. Appending is O(1) and shares everything with the previous ledger
/// (see <see cref="AppendBuffer{T}"/>); retracting copies one chunk's retraction times. Full chunks
/// never change except by retraction, which is what lets snapshots rewrite only what changed.
/// </summary>
/// <remarks>
/// A ledger numbers its propositions in the table that was <see cref="PropositionTable.Current"/> when it
/// took its first one, and keeps that table alive; a ledger loaded from a snapshot starts in the current one.
/// </remarks>
public sealed class ClaimLedger : IReadOnlyList<ClaimEntry>
{
    public const int ChunkSize = 1 << ChunkShift;
    private const int ChunkShift = 10;
    private const int NotRetracted = 0;

    private readonly string _actorId;
    private readonly Chunk[] _full;
    private readonly AppendBuffer<ClaimSlot> _tail;
    private readonly long[]? _tailRetractedAt;
    private readonly int _tailPropositionStart;
    private readonly int _tailQuantityStart;
    private readonly int _count;
    private readonly PropositionTable? _table; // null until the first proposition
    private readonly AppendBuffer<int> _propositions; // numbers in _table
    private readonly int _propositionCount;
    private readonly PositionTable _propositionIndex;
    private readonly AppendBuffer<Quantity> _quantities;
    private readonly int _quantityCount;
    private readonly PositionTable _claimIndex;

    private ClaimLedger(
        string actorId, Chunk[] full, AppendBuffer<ClaimSlot> tail, long[]? tailRetractedAt, int tailPropositionStart,
        int tailQuantityStart, int count, PropositionTable? table, AppendBuffer<int> propositions, int propositionCount,
        PositionTable propositionIndex, AppendBuffer<Quantity> quantities, int quantityCount, PositionTable claimIndex)
    {
        _actorId = actorId;
        _table = table;
        _full = full;
        _tail = tail;
        _tailRetractedAt = tailRetractedAt;
        _tailPropositionStart = tailPropositionStart;
        _tailQuantityStart = tailQuantityStart;
        _count = count;
        _propositions = propositions;
        _propositionCount = propositionCount;
        _propositionIndex = propositionIndex;
        _quantities = quantities;
        _quantityCount = quantityCount;
        _claimIndex = claimIndex;
    }

    public static ClaimLedger Empty(string actorId) => new(
        SharedStrings.Share(actorId), [], AppendBuffer<ClaimSlot>.Empty, null, 0, 0, 0, null,
        AppendBuffer<int>.Empty, 0, PositionTable.Empty, AppendBuffer<Quantity>.Empty, 0, PositionTable.Empty);

    public int Count => _count;

    public ClaimEntry this[int index]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfNegative(index);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, _count);
            var chunk = index >> ChunkShift;
            var at = index & (ChunkSize - 1);
            return chunk < _full.Length
                ? Entry(_full[chunk].Slots[at], _full[chunk].RetractedAt?[at] ?? NotRetracted)
                : Entry(_tail.Items[at], _tailRetractedAt?[at] ?? NotRetracted);
        }
    }

    /// <summary>
    /// About how many bytes of memory the ledger holds: its arrays, and its propositions' share of
    /// its <see cref="PropositionTable"/>.
    /// </summary>
    public long MemoryBytes
    {
        get
        {
            const int SlotBytes = 64;
            const int PropositionBytes = 50;
            long bytes = _tail.Bytes(SlotBytes) + (_tailRetractedAt?.Length ?? 0) * 8L;
            foreach (var chunk in _full)
            {
                bytes += (chunk.Slots.Length * (long)SlotBytes) + ((chunk.RetractedAt?.Length ?? 0) * 8L);
            }

            return bytes + _propositions.Bytes(4) + _propositionIndex.Bytes + (_propositionCount * (long)PropositionBytes)
                + _quantities.Bytes(8) + (_quantityCount * 64L) + _claimIndex.Bytes;
        }
    }

    /// <summary>Distinct propositions among the claims.</summary>
    public int PropositionCount => _propositionCount;

    internal int TailCount => _count - (_full.Length << ChunkShift);

    public ClaimEntry? Find(Guid claimId) => IndexOf(claimId) is var i and >= 0 ? this[i] : null;

    /// <summary>Position of the claim in stream order, or -1.</summary>
    public int IndexOf(Guid claimId)
    {
        var probe = _claimIndex.Find(claimId.GetHashCode());
        for (var candidate = probe.Next(); candidate >= 0; candidate = probe.Next())
        {
            if (candidate < _count && SlotAt(candidate).ClaimId == claimId)
            {
                return candidate;
            }
        }

        return -1;
    }

    /// <summary>The ledger with the claim of <paramref name="recorded"/> appended (claim ids are unique in a stream).</summary>
    public ClaimLedger Add(ClaimRecorded recorded, long version)
    {
        var claim = recorded.Claim;
        var full = _full;
        var tail = _tail;
        var tailRetractedAt = _tailRetractedAt;
        var tailPropositionStart = _tailPropositionStart;
        var tailQuantityStart = _tailQuantityStart;
        if (TailCount == ChunkSize)
        {
            // The tail is full: it becomes an immutable chunk, and a new tail starts.
            full = [.. _full, new Chunk(_tail.Items, _tailRetractedAt, _tailPropositionStart, _propositionCount, _tailQuantityStart, _quantityCount)];
            tail = AppendBuffer<ClaimSlot>.Empty;
            tailRetractedAt = null;
            tailPropositionStart = _propositionCount;
            tailQuantityStart = _quantityCount;
        }

        var table = _table ?? PropositionTable.Current;
        var (propositions, propositionCount, propositionIndex, proposition) = WithProposition(table, claim.Proposition);
        var (quantities, quantityCount, quantity) = claim.Quantity is null
            ? (_quantities, _quantityCount, -1)
            : (_quantities.Append(_quantityCount, claim.Quantity), _quantityCount + 1, _quantityCount);
        var slot = new ClaimSlot(recorded.ClaimId, version, proposition, quantity, claim.Stance, claim.Certainty,
            claim.StatedAt, recorded.RecordedAt, ContentHash.Of(claim));
        var tailCount = _count - (full.Length << ChunkShift);
        tail = tail.Append(tailCount, slot, ChunkSize);
        var claimIndex = _claimIndex;
        if (!claimIndex.HasRoom)
        {
            claimIndex = PositionTable.For(_count + 1);
            for (var i = 0; i < _count; i++)
            {
                claimIndex.Insert(SlotAt(i).ClaimId.GetHashCode(), i);
            }
        }

        claimIndex.Insert(recorded.ClaimId.GetHashCode(), _count);
        return new(_actorId, full, tail, tailRetractedAt, tailPropositionStart, tailQuantityStart, _count + 1,
            table, propositions, propositionCount, propositionIndex, quantities, quantityCount, claimIndex);
    }

    /// <summary>The ledger with the claim marked retracted at <paramref name="at"/>; unchanged if the claim is unknown.</summary>
    public ClaimLedger Retract(Guid claimId, DateTimeOffset at)
    {
        var index = IndexOf(claimId);
        if (index < 0)
        {
            return this;
        }

        var chunk = index >> ChunkShift;
        var full = _full;
        var tailRetractedAt = _tailRetractedAt;
        if (chunk < _full.Length)
        {
            full = [.. _full];
            full[chunk] = _full[chunk].WithRetraction(index & (ChunkSize - 1), at.UtcTicks);
        }
        else
        {
            tailRetractedAt = WithTime(_tailRetractedAt, index & (ChunkSize - 1), at.UtcTicks);
        }

        return new(_actorId, full, _tail, tailRetractedAt, _tailPropositionStart, _tailQuantityStart, _count,
            _table, _propositions, _propositionCount, _propositionIndex, _quantities, _quantityCount, _claimIndex);
    }

    /// <summary>Every entry, materialised (allocates; positions read the slots directly).</summary>
    public ImmutableList<ClaimEntry> ToImmutableList() => [.. this];

    public IEnumerator<ClaimEntry> GetEnumerator()
    {
        for (var i = 0; i < _count; i++)
        {
            yield return this[i];
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Chunks in use, the last one possibly partly filled: the segments of a snapshot.</summary>
    public int ChunkCount => _full.Length + (TailCount > 0 ? 1 : 0);

    internal ReadOnlySpan<ClaimSlot> SlotsOf(int chunk) =>
        chunk < _full.Length ? _full[chunk].Slots : _tail.Items.AsSpan(0, TailCount);

    internal long[]? RetractedAtOf(int chunk) => chunk < _full.Length ? _full[chunk].RetractedAt : _tailRetractedAt;

    internal Proposition PropositionAt(int index) => _table!.Get(_propositions.Items[index]);

    internal Quantity? QuantityAt(int index) => index < 0 ? null : _quantities.Items[index];

    internal static DateTimeOffset? RetractionTime(long ticks) =>
        ticks == NotRetracted ? null : new DateTimeOffset(ticks, TimeSpan.Zero);

    private ClaimSlot SlotAt(int index)
    {
        var chunk = index >> ChunkShift;
        return chunk < _full.Length ? _full[chunk].Slots[index & (ChunkSize - 1)] : _tail.Items[index & (ChunkSize - 1)];
    }

    private ClaimEntry Entry(in ClaimSlot slot, long retractedAt) => new(
        slot.ClaimId, _actorId, slot.Version, PropositionAt(slot.Proposition), (Stance)slot.Stance,
        (Certainty)slot.Certainty, QuantityAt(slot.Quantity), slot.StatedAt, slot.RecordedAt,
        RetractionTime(retractedAt), slot.Hash);

    private (AppendBuffer<int>, int, PositionTable, int) WithProposition(PropositionTable table, Proposition proposition)
    {
        var number = table.Number(proposition);
        var probe = _propositionIndex.Find(NumberHash(number));
        for (var candidate = probe.Next(); candidate >= 0; candidate = probe.Next())
        {
            if (candidate < _propositionCount && _propositions.Items[candidate] == number)
            {
                return (_propositions, _propositionCount, _propositionIndex, candidate);
            }
        }

        var propositions = _propositions.Append(_propositionCount, number);
        var index = _propositionIndex;
        if (!index.HasRoom)
        {
            index = PositionTable.For(_propositionCount + 1);
            for (var i = 0; i < _propositionCount; i++)
            {
                index.Insert(NumberHash(propositions.Items[i]), i);
            }
        }

        index.Insert(NumberHash(number), _propositionCount);
        return (propositions, _propositionCount + 1, index, _propositionCount);
    }

    // Table numbers are dense: spread them over the index (Fibonacci hashing), or neighbours would cluster.
    private static int NumberHash(int number) => (int)(((uint)number * 2654435769u) >> 1);

    private static long[] WithTime(long[]? times, int at, long ticks)
    {
        var copy = times is null ? new long[ChunkSize] : (long[])times.Clone();
        copy[at] = ticks;
        return copy;
    }

    /// <summary>
    /// The ledger's claims as snapshot segments, one per chunk: the slots' bytes, the retraction
    /// times, and the propositions and quantities first used in that chunk (so segments load in order).
    /// </summary>
    public byte[] EncodeSegment(int chunk)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(chunk, ChunkCount);
        var (propositionStart, propositionEnd, quantityStart, quantityEnd) = chunk < _full.Length
            ? (_full[chunk].PropositionStart, _full[chunk].PropositionEnd, _full[chunk].QuantityStart, _full[chunk].QuantityEnd)
            : (_tailPropositionStart, _propositionCount, _tailQuantityStart, _quantityCount);
        var slots = SlotsOf(chunk);
        var retractedAt = RetractedAtOf(chunk);
        using var stream = new MemoryStream(slots.Length * (64 + 8) + 1024);
        using (var writer = new BinaryWriter(stream))
        {
            writer.Write(slots.Length);
            writer.Write(propositionStart);
            writer.Write(propositionEnd - propositionStart);
            for (var i = propositionStart; i < propositionEnd; i++)
            {
                var p = PropositionAt(i);
                writer.Write(p.Subject);
                writer.Write(p.Predicate);
                writer.Write(p.Object is not null);
                writer.Write(p.Object ?? "");
            }

            writer.Write(quantityStart);
            writer.Write(quantityEnd - quantityStart);
            for (var i = quantityStart; i < quantityEnd; i++)
            {
                var q = _quantities.Items[i];
                writer.Write(q.Min);
                writer.Write(q.Max);
                writer.Write(q.Unit);
            }

            writer.Write(MemoryMarshal.AsBytes(slots));
            writer.Write(retractedAt is not null);
            if (retractedAt is not null)
            {
                writer.Write(MemoryMarshal.AsBytes(retractedAt.AsSpan(0, slots.Length)));
            }
        }

        return stream.ToArray();
    }

    /// <summary>Whether chunk <paramref name="chunk"/> is full and the very same object in <paramref name="other"/>.</summary>
    public bool SharesSegmentWith(ClaimLedger? other, int chunk) =>
        other is not null && chunk < _full.Length && chunk < other._full.Length && ReferenceEquals(_full[chunk], other._full[chunk]);

    /// <summary>The ledger stored as <paramref name="segments"/> (from <see cref="EncodeSegment"/>, in order).</summary>
    /// <exception cref="InvalidDataException">The segments do not form a consistent ledger.</exception>
    public static ClaimLedger Decode(string actorId, IReadOnlyList<byte[]> segments, long maxVersion)
    {
        var table = PropositionTable.Current;
        var full = new List<Chunk>();
        var propositions = new List<int>();
        var quantities = new List<Quantity>();
        AppendBuffer<ClaimSlot> tail = AppendBuffer<ClaimSlot>.Empty;
        long[]? tailRetractedAt = null;
        int tailPropositionStart = 0, tailQuantityStart = 0, tailCount = 0;
        var lastVersion = 0;
        for (var s = 0; s < segments.Count; s++)
        {
            using var reader = new BinaryReader(new MemoryStream(segments[s], writable: false));
            var count = reader.ReadInt32();
            var last = s == segments.Count - 1;
            Check(count == ChunkSize || last && count is > 0 and <= ChunkSize, "segment size");
            var propositionStart = reader.ReadInt32();
            Check(propositionStart == propositions.Count, "proposition order");
            var newPropositions = reader.ReadInt32();
            Check(newPropositions is >= 0 and <= ChunkSize, "proposition count");
            for (var i = 0; i < newPropositions; i++)
            {
                var subject = reader.ReadString();
                var predicate = reader.ReadString();
                var hasObject = reader.ReadBoolean();
                var @object = reader.ReadString();
                propositions.Add(table.Number(new Proposition(subject, predicate, hasObject ? @object : null)));
            }

            var quantityStart = reader.ReadInt32();
            Check(quantityStart == quantities.Count, "quantity order");
            var newQuantities = reader.ReadInt32();
            Check(newQuantities is >= 0 and <= ChunkSize, "quantity count");
            for (var i = 0; i < newQuantities; i++)
            {
                quantities.Add(new Quantity(reader.ReadDecimal(), reader.ReadDecimal(), reader.ReadString()));
            }

            // The tail is sized to fit: an actor loaded from its snapshot is often only read; an append grows it.
            var slots = new ClaimSlot[last ? Math.Max(4, count) : ChunkSize];
            ReadExactly(reader, MemoryMarshal.AsBytes(slots.AsSpan(0, count)));
            long[]? retractedAt = null;
            if (reader.ReadBoolean())
            {
                retractedAt = new long[ChunkSize];
                ReadExactly(reader, MemoryMarshal.AsBytes(retractedAt.AsSpan(0, count)));
            }

            Check(reader.BaseStream.Position == reader.BaseStream.Length, "segment length");
            for (var i = 0; i < count; i++)
            {
                ref readonly var slot = ref slots[i];
                Check(slot.Version > lastVersion && slot.Version <= maxVersion, "claim version");
                Check(slot.Proposition >= 0 && slot.Proposition < propositions.Count, "proposition");
                Check(slot.Quantity >= -1 && slot.Quantity < quantities.Count, "quantity");
                Check(Enum.IsDefined((Stance)slot.Stance) && Enum.IsDefined((Certainty)slot.Certainty), "stance");
                Check(retractedAt is null || retractedAt[i] >= 0, "retraction");
                lastVersion = slot.Version;
            }

            if (!last)
            {
                full.Add(new Chunk(slots, retractedAt, propositionStart, propositions.Count, quantityStart, quantities.Count));
            }
            else
            {
                // The last segment is the tail (even when full: the next append seals it).
                tail = AppendBuffer<ClaimSlot>.Of(slots, count);
                (tailRetractedAt, tailPropositionStart, tailQuantityStart, tailCount) = (retractedAt, propositionStart, quantityStart, count);
            }
        }

        var total = (full.Count << ChunkShift) + tailCount;
        var propositionArray = propositions.ToArray();
        var propositionIndex = PositionTable.For(propositionArray.Length);
        for (var i = 0; i < propositionArray.Length; i++)
        {
            propositionIndex.Insert(NumberHash(propositionArray[i]), i);
        }

        var ledger = new ClaimLedger(SharedStrings.Share(actorId), [.. full], tail, tailRetractedAt, tailPropositionStart, tailQuantityStart,
            total, table, AppendBuffer<int>.Of(propositionArray, propositionArray.Length), propositionArray.Length, propositionIndex,
            AppendBuffer<Quantity>.Of([.. quantities], quantities.Count), quantities.Count, PositionTable.For(total));
        for (var i = 0; i < total; i++)
        {
            var id = ledger.SlotAt(i).ClaimId;
            Check(ledger.IndexOf(id) < 0, "claim id repeated");
            ledger._claimIndex.Insert(id.GetHashCode(), i);
        }

        return ledger;
    }

    private static void ReadExactly(BinaryReader reader, Span<byte> target)
    {
        while (target.Length > 0)
        {
            var read = reader.Read(target);
            if (read == 0)
            {
                throw new InvalidDataException("Snapshot segment ends early.");
            }

            target = target[read..];
        }
    }

    private static void Check(bool condition, string what)
    {
        if (!condition)
        {
            throw new InvalidDataException($"Snapshot segment is inconsistent: {what}.");
        }
    }

    /// <summary>A full chunk: its slots never change; a retraction makes a new chunk with new times.</summary>
    private sealed class Chunk(
        ClaimSlot[] slots, long[]? retractedAt, int propositionStart, int propositionEnd, int quantityStart, int quantityEnd)
    {
        public ClaimSlot[] Slots { get; } = slots;

        public long[]? RetractedAt { get; } = retractedAt;

        public int PropositionStart { get; } = propositionStart;

        public int PropositionEnd { get; } = propositionEnd;

        public int QuantityStart { get; } = quantityStart;

        public int QuantityEnd { get; } = quantityEnd;

        public Chunk WithRetraction(int at, long ticks) =>
            new(Slots, WithTime(RetractedAt, at, ticks), PropositionStart, PropositionEnd, QuantityStart, QuantityEnd);
    }
}

using ClaimStore.Domain.Claims;
using ClaimStore.Domain.Contradictions;

namespace ClaimStore.Domain.Propositions;

/// <summary>
/// One recorded claim as the read side keeps it: 40 bytes, no references, so a million of them are one
/// allocation per 4,096 and nothing for the GC to trace. Actor, proposition and quantity are numbers
/// into the ledger's tables; <c>statedAt</c> is kept as UTC ticks plus its offset, so it comes back
/// exactly as it was recorded. A claim's number (its handle) is its position in the log order.
/// </summary>
internal readonly struct StoredClaim(
    Guid claimId, DateTimeOffset statedAt, Stance stance, int actor, int proposition, int quantity)
{
    public readonly Guid ClaimId = claimId;
    public readonly long UtcTicks = statedAt.UtcTicks;
    public readonly int Actor = actor;
    public readonly int Proposition = proposition;

    /// <summary>Number in the ledger's quantity table, or -1.</summary>
    public readonly int Quantity = quantity;

    private readonly short _offsetMinutes = (short)statedAt.Offset.TotalMinutes;
    private readonly byte _stance = (byte)stance;

    public Stance Stance => (Stance)_stance;

    public DateTimeOffset StatedAt =>
        new(UtcTicks + (_offsetMinutes * TimeSpan.TicksPerMinute), TimeSpan.FromMinutes(_offsetMinutes));
}

/// <summary>
/// A contradiction as the read side keeps it: 36 bytes. Everything else is derived from the claims it
/// names (handles, valid while the snapshot holding it is): its actors are the actors of
/// <see cref="First"/> and <see cref="Second"/>, <c>openedAt</c> and <c>resolvedAt</c> the
/// <c>statedAt</c> of <see cref="OpenedBy"/> and <see cref="ResolvedBy"/>.
/// </summary>
internal readonly struct StoredContradiction(Guid id, ContradictionKind kind, int first, int second, int openedBy, int resolvedBy)
{
    public readonly Guid Id = id;
    public readonly int First = first;
    public readonly int Second = second;
    public readonly int OpenedBy = openedBy;

    /// <summary>-1 while open.</summary>
    public readonly int ResolvedBy = resolvedBy;

    private readonly byte _kind = (byte)kind;

    public ContradictionKind Kind => (ContradictionKind)_kind;
}

/// <summary>A proposition's state in a snapshot (its number is its key's): live claims in valid-time order, contradictions.</summary>
internal readonly record struct PropositionEntry(int[]? Claims, StoredContradiction[]? Contradictions)
{
    public bool IsLive => Claims is { Length: > 0 };
}

/// <summary>
/// The writer's index from claim id to the handle of the live claim: linear probing over handles, the
/// ids themselves read from the claim store, so an id is stored once (about 8 bytes a claim here).
/// </summary>
internal sealed class LiveClaimIndex(ChunkedStore<StoredClaim> claims)
{
    private int[] _slots = new int[1024]; // handle + 1; 0 is empty
    private int _count;

    public bool TryGet(Guid claimId, out int handle, out int slot)
    {
        var mask = _slots.Length - 1;
        for (slot = Hash(claimId) & mask; ; slot = (slot + 1) & mask)
        {
            handle = _slots[slot] - 1;
            if (handle < 0)
            {
                return false;
            }

            if (claims[handle].ClaimId == claimId)
            {
                return true;
            }
        }
    }

    public void Set(Guid claimId, int handle)
    {
        if (TryGet(claimId, out _, out var slot))
        {
            _slots[slot] = handle + 1;
            return;
        }

        _slots[slot] = handle + 1;
        if (++_count * 2 > _slots.Length)
        {
            Rehash(_slots.Length * 2);
        }
    }

    public void RemoveAt(int slot)
    {
        // Backward-shift deletion: move later entries of the run into the gap, so probes still find them.
        var mask = _slots.Length - 1;
        var gap = slot;
        for (var next = (slot + 1) & mask; _slots[next] != 0; next = (next + 1) & mask)
        {
            var home = Hash(claims[_slots[next] - 1].ClaimId) & mask;
            if (((next - home) & mask) >= ((next - gap) & mask))
            {
                _slots[gap] = _slots[next];
                gap = next;
            }
        }

        _slots[gap] = 0;
        _count--;
    }

    private void Rehash(int size)
    {
        var old = _slots;
        _slots = new int[size];
        var mask = size - 1;
        foreach (var entry in old)
        {
            if (entry != 0)
            {
                var slot = Hash(claims[entry - 1].ClaimId) & mask;
                while (_slots[slot] != 0)
                {
                    slot = (slot + 1) & mask;
                }

                _slots[slot] = entry;
            }
        }
    }

    // Claim ids are often version-7 (time-ordered) uuids: mix before masking.
    private static int Hash(Guid id) => (int)(((ulong)(uint)id.GetHashCode() * 0x9E3779B97F4A7C15UL) >> 33);
}

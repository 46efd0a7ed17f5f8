using System.Runtime.InteropServices;
using ClaimStore.Domain.Claims;

namespace ClaimStore.Domain.Compact;

/// <summary>
/// One claim as the ledger stores it: 64 bytes, no references (so the GC never scans the arrays
/// that hold them), instants as UTC ticks, the proposition and quantity as indexes into the
/// actor's own tables. The retraction time lives beside the slots, so retracting never copies them.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal readonly struct ClaimSlot
{
    public readonly long StatedAtUtcTicks;
    public readonly long RecordedAtUtcTicks;
    public readonly Guid ClaimId;
    public readonly ContentHash Hash;
    public readonly int Version;
    public readonly int Proposition;
    public readonly int Quantity;
    public readonly short StatedAtOffsetMinutes;
    public readonly byte Stance;
    public readonly byte Certainty;

    public ClaimSlot(
        Guid claimId, long version, int proposition, int quantity, Stance stance, Certainty certainty,
        DateTimeOffset statedAt, DateTimeOffset recordedAt, ContentHash hash)
    {
        ClaimId = claimId;
        // A stream of more than 2^31 events is far beyond what one actor can hold in memory anyway.
        Version = checked((int)version);
        Proposition = proposition;
        Quantity = quantity;
        Stance = checked((byte)stance);
        Certainty = checked((byte)certainty);
        StatedAtUtcTicks = statedAt.UtcTicks;
        StatedAtOffsetMinutes = checked((short)statedAt.TotalOffsetMinutes);
        RecordedAtUtcTicks = recordedAt.UtcTicks;
        Hash = hash;
    }

    public DateTimeOffset StatedAt =>
        new DateTimeOffset(StatedAtUtcTicks, TimeSpan.Zero).ToOffset(TimeSpan.FromMinutes(StatedAtOffsetMinutes));

    public DateTimeOffset RecordedAt => new(RecordedAtUtcTicks, TimeSpan.Zero);
}

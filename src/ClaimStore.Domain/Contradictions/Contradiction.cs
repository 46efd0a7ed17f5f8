using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text;

namespace ClaimStore.Domain.Contradictions;

public enum ContradictionKind
{
    OpposingStances,
    SelfReversal,
    IncompatibleQuantities,
}

public enum ContradictionStatus
{
    Open,
    Resolved,
}

/// <summary>
/// Two positions that cannot both hold, over a period of valid time. Identified by what it is
/// (kind, proposition, actors, when it opened), so the same claims always give the same id.
/// </summary>
public sealed record Contradiction(
    string ContradictionId,
    ContradictionKind Kind,
    string PropositionKey,
    ImmutableArray<string> ActorIds,
    ImmutableArray<Guid> ClaimIds,
    DateTimeOffset OpenedAt,
    DateTimeOffset? ResolvedAt)
{
    public ContradictionStatus Status => ResolvedAt is null ? ContradictionStatus.Open : ContradictionStatus.Resolved;

    /// <summary>
    /// A name-based id: SHA-256 of kind, proposition, sorted actors and the opening instant.
    /// <paramref name="ordinal"/> tells apart the rare records that share all of these (an actor
    /// reversing itself twice at one instant); it is 0 otherwise and then not part of the name.
    /// </summary>
    public static string IdFor(
        ContradictionKind kind, string propositionKey, IEnumerable<string> sortedActorIds, DateTimeOffset openedAt, int ordinal = 0)
    {
        var name = $"{kind}|{propositionKey}|{string.Join(',', sortedActorIds)}|{openedAt.UtcTicks}" + (ordinal == 0 ? "" : $"|{ordinal}");
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(name), hash);
        hash[6] = (byte)((hash[6] & 0x0F) | 0x80); // UUID version 8: application-defined
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash[..16], bigEndian: true).ToString();
    }
}

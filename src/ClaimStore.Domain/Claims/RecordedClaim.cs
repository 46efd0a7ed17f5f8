namespace ClaimStore.Domain.Claims;

/// <summary>A claim as the ledger holds it: its content, where it sits in the stream, and whether it was retracted.</summary>
[GenerateSerializer, Immutable]
public sealed record RecordedClaim(
    [property: Id(0)] Guid ClaimId,
    [property: Id(1)] string ActorId,
    [property: Id(2)] ClaimContent Content,
    [property: Id(3)] long Version,
    [property: Id(4)] DateTimeOffset RecordedAt,
    [property: Id(5)] Retraction? Retraction)
{
    public bool IsRetracted => Retraction is not null;

    /// <summary>Whether the claim counts for an observer who knows what was recorded up to <paramref name="knownAt"/>.</summary>
    public bool IsLiveAt(DateTimeOffset? knownAt) =>
        knownAt is null
            ? Retraction is null
            : RecordedAt <= knownAt && (Retraction is null || Retraction.RecordedAt > knownAt);
}

/// <summary>When and why a claim was withdrawn.</summary>
[GenerateSerializer, Immutable]
public sealed record Retraction(
    [property: Id(0)] string? Reason,
    [property: Id(1)] DateTimeOffset RecordedAt);

namespace ClaimStore.Domain.Claims;

/// <summary>A claim as the store holds it: its content, where it sits in the stream, and whether it was retracted.</summary>
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
}

/// <summary>When and why a claim was withdrawn.</summary>
[GenerateSerializer, Immutable]
public sealed record Retraction(
    [property: Id(0)] string? Reason,
    [property: Id(1)] DateTimeOffset RecordedAt);

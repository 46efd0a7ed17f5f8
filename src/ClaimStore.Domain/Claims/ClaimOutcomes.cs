namespace ClaimStore.Domain.Claims;

/// <summary>A claim to record under an actor, its id already chosen (by the client or the server).</summary>
[GenerateSerializer, Immutable]
public sealed record ClaimSubmission(
    [property: Id(0)] Guid ClaimId,
    [property: Id(1)] ClaimContent Content);

public enum RecordStatus
{
    /// <summary>Appended now.</summary>
    Created,

    /// <summary>The same claim was recorded before; nothing appended.</summary>
    Unchanged,

    ActorNotFound,

    /// <summary>The claim id is taken by a claim with other content or under another actor.</summary>
    Conflict,
}

/// <summary>What became of one submitted claim.</summary>
[GenerateSerializer, Immutable]
public sealed record RecordOutcome(
    [property: Id(0)] RecordStatus Status,
    [property: Id(1)] Guid ClaimId,
    [property: Id(2)] ClaimEntry? Claim,
    [property: Id(3)] string? Detail)
{
    public static RecordOutcome Created(ClaimEntry claim) => new(RecordStatus.Created, claim.ClaimId, claim, null);

    public static RecordOutcome Unchanged(ClaimEntry claim) => new(RecordStatus.Unchanged, claim.ClaimId, claim, null);

    public static RecordOutcome ActorNotFound(Guid claimId, string actorId) =>
        new(RecordStatus.ActorNotFound, claimId, null, $"Actor '{actorId}' is not registered.");

    public static RecordOutcome Conflict(Guid claimId, string detail) => new(RecordStatus.Conflict, claimId, null, detail);
}

public enum RetractStatus
{
    Retracted,
    AlreadyRetracted,
    NotFound,
}

/// <summary>What became of a retraction request; <see cref="Claim"/> is the claim as it stands afterwards.</summary>
[GenerateSerializer, Immutable]
public sealed record RetractOutcome(
    [property: Id(0)] RetractStatus Status,
    [property: Id(1)] ClaimEntry? Claim);

using ClaimStore.Domain.Actors;

namespace ClaimStore.Domain.Claims;

/// <summary>An actor took a stance on a proposition. Its event id in the store is <see cref="ClaimId"/>.</summary>
public sealed record ClaimRecorded(
    Guid ClaimId,
    string ActorId,
    ClaimContent Claim,
    DateTimeOffset RecordedAt) : IActorEvent;

/// <summary>The recorder withdrew a claim from the record; it stays in the history, marked retracted.</summary>
public sealed record ClaimRetracted(
    Guid ClaimId,
    string ActorId,
    string? Reason,
    DateTimeOffset RecordedAt) : IActorEvent;

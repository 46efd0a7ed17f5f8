using ClaimStore.Domain.Actors;

namespace ClaimStore.Grains.Actors;

/// <summary>What a registration came to, and the actor's profile afterwards.</summary>
[GenerateSerializer, Immutable]
public sealed record RegistrationResult(
    [property: Id(0)] RegistrationStatus Status,
    [property: Id(1)] ActorProfile Profile,
    [property: Id(2)] int ClaimCount);

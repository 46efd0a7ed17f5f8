using System.Collections.Immutable;
using ClaimStore.Domain.Actors;
using ClaimStore.Domain.Claims;

namespace ClaimStore.Grains.Actors;

/// <summary>An actor's profile, stream version and claim entries in stream order, as the grain last committed them.</summary>
[GenerateSerializer, Immutable]
public sealed record ActorSnapshot(
    [property: Id(0)] string ActorId,
    [property: Id(1)] ActorProfile? Profile,
    [property: Id(2)] long Version,
    [property: Id(3)] ImmutableList<ClaimEntry> Claims)
{
    public bool IsRegistered => Profile is not null;

    public ClaimEntry? FindClaim(Guid claimId) => Claims.Find(c => c.ClaimId == claimId);
}

using System.Collections.Immutable;
using ClaimStore.Domain.Claims;

namespace ClaimStore.Domain.Actors;

/// <summary>
/// Everything an actor's stream says, folded: profile, stream version and every claim in
/// stream order (as <see cref="ClaimEntry"/>: the full claims stay in the store). Immutable, so
/// a snapshot can be handed out without copying.
/// </summary>
public sealed record ActorState(
    string ActorId,
    ActorProfile? Profile,
    long Version,
    DateTimeOffset LastRecordedAt,
    ImmutableList<ClaimEntry> Claims,
    ImmutableDictionary<Guid, int> ClaimIndex)
{
    public static ActorState Empty(string actorId) =>
        new(actorId, null, 0, DateTimeOffset.MinValue, [], ImmutableDictionary<Guid, int>.Empty);

    public bool IsRegistered => Profile is not null;

    public ClaimEntry? FindClaim(Guid claimId) =>
        ClaimIndex.TryGetValue(claimId, out var index) ? Claims[index] : null;
}

using ClaimStore.Domain.Compact;
namespace ClaimStore.Domain.Actors;

/// <summary>
/// Everything an actor's stream says, folded: profile, stream version and every claim in
/// stream order (in a compact <see cref="ClaimLedger"/>: the full claims stay in the store).
/// Immutable, so a snapshot can be handed out without copying.
/// </summary>
public sealed record ActorState(
    string ActorId,
    ActorProfile? Profile,
    long Version,
    DateTimeOffset LastRecordedAt,
    ClaimLedger Claims)
{
    public static ActorState Empty(string actorId) =>
        new(actorId, null, 0, DateTimeOffset.MinValue, ClaimLedger.Empty(actorId));

    public bool IsRegistered => Profile is not null;

    public Claims.ClaimEntry? FindClaim(Guid claimId) => Claims.Find(claimId);
}

using ClaimStore.Domain.Compact;
namespace ClaimStore.Domain.Actors;

/// <summary>
/// Everything an actor's stream says, folded: profile, stream version and its claims in stream order
/// (in a compact <see cref="ClaimLedger"/>: the full claims stay in the store). Immutable, so a snapshot
/// can be handed out without copying.
/// </summary>
/// <remarks>
/// A state is <em>whole</em> when its ledger holds every claim of the stream. A <em>resting</em> state
/// (<see cref="Rested"/>) holds none of the claims recorded before it rested, only their number in
/// <paramref name="ClaimsNotHeld"/>: enough to decide new claims, whose ids the store keeps unique
/// (decision 0017). Positions, timelines and retractions need the whole state.
/// </remarks>
public sealed record ActorState(
    string ActorId,
    ActorProfile? Profile,
    long Version,
    DateTimeOffset LastRecordedAt,
    ClaimLedger Claims,
    int ClaimsNotHeld = 0)
{
    public static ActorState Empty(string actorId) =>
        new(actorId, null, 0, DateTimeOffset.MinValue, ClaimLedger.Empty(actorId));

    public bool IsRegistered => Profile is not null;

    /// <summary>Whether the ledger holds every claim of the stream.</summary>
    public bool IsWhole => ClaimsNotHeld == 0;

    /// <summary>How many claims the stream holds, in the ledger or not.</summary>
    public int ClaimCount => ClaimsNotHeld + Claims.Count;

    /// <summary>
    /// The claim with this id among those the ledger holds: on a resting state, null says only that the
    /// claim was not recorded since the state rested.
    /// </summary>
    public Claims.ClaimEntry? FindClaim(Guid claimId) => Claims.Find(claimId);

    /// <summary>The same stream position without any claim in memory.</summary>
    public ActorState Rested() =>
        Claims.Count == 0 ? this : this with { Claims = ClaimLedger.Empty(ActorId), ClaimsNotHeld = ClaimCount };
}

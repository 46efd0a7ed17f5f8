using System.Collections.Immutable;
using ClaimStore.Domain.Actors;
using ClaimStore.Domain.Claims;
using ClaimStore.Domain.Positions;

namespace ClaimStore.Grains.Actors;

/// <summary>
/// One grain per actor, keyed by the actor's slug: the single writer of that actor's event stream
/// and the holder of its current state.
/// </summary>
public interface IActorGrain : IGrainWithStringKey
{
    Task<RegistrationResult> RegisterAsync(ActorProfile profile);

    /// <summary>Records the claims in order; each outcome is final once this returns (its commit is done).</summary>
    Task<ImmutableArray<RecordOutcome>> RecordClaimsAsync(ImmutableArray<ClaimSubmission> claims);

    Task<RetractOutcome> RetractClaimAsync(Guid claimId, string? reason);

    /// <summary>
    /// Erases the person's name, aliases and the text of the claims that name them from the store and its derived
    /// tables, then appends <see cref="ActorErased"/> (once) naming <paramref name="erasedBy"/>, the API key's name.
    /// Runs alone in the actor's writer loop, so no write of this actor interleaves; the activation ends afterwards.
    /// </summary>
    Task<ErasureResult> EraseAsync(string erasedBy);

    /// <summary>Ends this activation, so the next call folds the stream again (an erasure rewrote some of its events).</summary>
    Task ReloadAsync();

    /// <summary>
    /// Drops the claims the grain holds in memory unless it is writing (the silo's <see cref="LedgerBudget"/> asks);
    /// it goes on taking claims and loads them again for the next read or retraction. Whether it rested.
    /// </summary>
    Task<bool> RestAsync();

    /// <summary>The actor as of the last acknowledged write: a snapshot, never the grain's own state.</summary>
    /// <remarks>
    /// Reads run while a write is in flight (the grain is reentrant): they see the last committed
    /// state, which the grain replaces by one reference assignment after the commit, never half-applied.
    /// </remarks>
    Task<ActorSnapshot> GetSnapshotAsync();

    /// <summary>
    /// The actor's positions at valid time <paramref name="asOf"/> as known at transaction time
    /// <paramref name="knownAt"/> (null: now), computed from the grain's memory, which holds every
    /// claim with its recording and retraction times: no stream read per request, unless the grain
    /// rests and loads its claims first (decision 0017).
    /// </summary>
    Task<ActorPositions> GetPositionsAsync(DateTimeOffset? asOf, DateTimeOffset? knownAt);

    /// <summary>
    /// The actor's positions along valid time as known at <paramref name="knownAt"/> (null: now), for every
    /// proposition or only <paramref name="propositionKey"/>; from the grain's memory, like positions.
    /// </summary>
    Task<ActorTimeline> GetTimelineAsync(string? propositionKey, DateTimeOffset? knownAt);
}

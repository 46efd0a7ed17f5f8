using System.Collections.Immutable;
using ClaimStore.Domain.Actors;
using ClaimStore.Domain.Claims;
using ClaimStore.Domain.Positions;
using ClaimStore.Grains.Storage;
using Microsoft.Extensions.Logging;

namespace ClaimStore.Grains.Actors;

/// <summary>
/// The single writer of one actor's stream. Orleans runs at most one activation per actor in a
/// healthy cluster and, since the grain is not reentrant, one write at a time inside it; the
/// expected-version check of every append covers the rare second activation during a partition.
/// </summary>
public sealed partial class ActorGrain(ActorStreams streams, TimeProvider clock, ILogger<ActorGrain> logger)
    : Grain, IActorGrain
{
    // A conflict means another activation wrote; after a reload the next attempt nearly always wins.
    private const int MaxAttempts = 5;

    private ActorState _state = null!;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // Rehydrate from the stream before the first call is let in: activation blocks all messages.
        _state = await streams.CatchUpAsync(ActorState.Empty(this.GetPrimaryKeyString()), cancellationToken);
    }

    public async Task<RegistrationResult> RegisterAsync(ActorProfile profile)
    {
        var status = await DecideAndAppendAsync((state, now) => ActorDecider.Register(state, profile, now));
        return new RegistrationResult(status[0], _state.Profile!, _state.Claims.Count);
    }

    public async Task<ImmutableArray<RecordOutcome>> RecordClaimsAsync(ImmutableArray<ClaimSubmission> claims)
    {
        // Claim ids found in other actors' streams: those claims are conflicts, the rest go ahead.
        var foreign = ImmutableDictionary<Guid, string>.Empty;
        return await DecideAndAppendAsync(
            (state, now) => DecideClaims(state, claims, foreign, now),
            onDuplicateEventId: async () =>
            {
                var unknown = claims.Select(c => c.ClaimId).Where(id => _state.FindClaim(id) is null).ToArray();
                foreign = foreign.AddRange(await streams.FindStreamsOfEventsAsync(unknown));
            });
    }

    public async Task<RetractOutcome> RetractClaimAsync(Guid claimId, string? reason)
    {
        var outcomes = await DecideAndAppendAsync((state, now) => ActorDecider.Retract(state, claimId, reason, now));
        return outcomes[0];
    }

    public Task<ActorSnapshot> GetSnapshotAsync() =>
        Task.FromResult(new ActorSnapshot(_state.ActorId, _state.Profile, _state.Version, _state.Claims));

    public Task<ActorPositions> GetPositionsAsync(DateTimeOffset? asOf, DateTimeOffset? knownAt)
    {
        var state = _state;
        return Task.FromResult(new ActorPositions(
            state.IsRegistered, [.. Position.ComputeAll(state.Claims, asOf, knownAt)]));
    }

    private static Decision<RecordOutcome> DecideClaims(
        ActorState state, ImmutableArray<ClaimSubmission> claims, ImmutableDictionary<Guid, string> foreign, DateTimeOffset now)
    {
        if (foreign.IsEmpty)
        {
            return ActorDecider.Record(state, claims, now);
        }

        var local = claims.Where(c => !foreign.ContainsKey(c.ClaimId)).ToArray();
        var decided = ActorDecider.Record(state, local, now);
        var next = 0;
        var outcomes = claims.Select(c => foreign.TryGetValue(c.ClaimId, out var owner)
            ? RecordOutcome.Conflict(c.ClaimId, $"Claim '{c.ClaimId}' is already recorded under actor '{owner}'.")
            : decided.Outcomes[next++]);
        return new([.. outcomes], decided.Events);
    }

    /// <summary>
    /// Decides against the current state and appends the resulting events with the state's version
    /// as the expected version; on a conflict, catches up from the stream and decides again.
    /// <c>_state</c> changes only after the commit, so a failed append leaves it untouched.
    /// </summary>
    private async Task<ImmutableArray<TOutcome>> DecideAndAppendAsync<TOutcome>(
        Func<ActorState, DateTimeOffset, Decision<TOutcome>> decide, Func<Task>? onDuplicateEventId = null)
    {
        for (var attempt = 1; ; attempt++)
        {
            var decision = decide(_state, clock.GetUtcNow());
            if (decision.Events.IsEmpty)
            {
                return decision.Outcomes;
            }

            try
            {
                await streams.AppendAsync(_state.ActorId, _state.Version, decision.Events);
                _state = ActorDecider.Fold(_state, decision.Events);
                return decision.Outcomes;
            }
            catch (StreamVersionConflictException ex) when (attempt < MaxAttempts)
            {
                LogConflict(logger, _state.ActorId, _state.Version, attempt, ex.Message);
                _state = await streams.CatchUpAsync(_state);
            }
            catch (DuplicateEventIdException) when (attempt < MaxAttempts && onDuplicateEventId is not null)
            {
                // Either another activation stored the same claim (catching up shows it) or the id
                // belongs to another actor's claim (the callback finds which).
                _state = await streams.CatchUpAsync(_state);
                await onDuplicateEventId();
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Stream of {ActorId} moved past version {Version} (attempt {Attempt}): {Reason}; reloading")]
    private static partial void LogConflict(ILogger logger, string actorId, long version, int attempt, string reason);
}

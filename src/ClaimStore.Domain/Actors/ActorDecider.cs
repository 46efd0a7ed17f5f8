using System.Collections.Immutable;
using ClaimStore.Domain.Claims;

namespace ClaimStore.Domain.Actors;

public enum RegistrationStatus
{
    Created,
    Updated,
    Unchanged,
}

/// <summary>
/// The decision on a batch of commands: what each one came to, the events to append, and the state
/// once they are applied (so callers need not fold them again).
/// </summary>
public sealed record Decision<TOutcome>(ImmutableArray<TOutcome> Outcomes, ImmutableArray<IActorEvent> Events, ActorState After);

/// <summary>
/// The actor ledger's pure decision and evolution functions. Time comes in as an argument;
/// nothing here touches a clock, a grain or a database.
/// </summary>
public static class ActorDecider
{
    public static Decision<RegistrationStatus> Register(ActorState state, ActorProfile profile, DateTimeOffset now)
    {
        var at = RecordingTime(state, now);
        if (state.Profile is null)
        {
            return Single(state, RegistrationStatus.Created,
                new ActorRegistered(state.ActorId, profile.Name, profile.Kind, profile.Aliases, at));
        }

        return state.Profile == profile
            ? new([RegistrationStatus.Unchanged], [], state)
            : Single(state, RegistrationStatus.Updated,
                new ActorProfileChanged(state.ActorId, profile.Name, profile.Kind, profile.Aliases, at));
    }

    /// <summary>
    /// Decides a batch of claims in order, each against the state the previous ones left, so a
    /// claim id repeated inside one batch is recognised exactly as a retry would be.
    /// </summary>
    /// <remarks>
    /// On a resting state a claim id it does not hold is decided as new: if the stream has it after all,
    /// the store refuses the append (claim id = event id, unique), and the grain decides again on the
    /// whole state (decision 0017).
    /// </remarks>
    public static Decision<RecordOutcome> Record(
        ActorState state, IReadOnlyList<ClaimSubmission> submissions, DateTimeOffset now)
    {
        var outcomes = ImmutableArray.CreateBuilder<RecordOutcome>(submissions.Count);
        var events = ImmutableArray.CreateBuilder<IActorEvent>();
        var at = RecordingTime(state, now);
        foreach (var submission in submissions)
        {
            var existing = state.FindClaim(submission.ClaimId);
            if (!state.IsRegistered)
            {
                outcomes.Add(RecordOutcome.ActorNotFound(submission.ClaimId, state.ActorId));
            }
            else if (existing is not null)
            {
                outcomes.Add(existing.Hash == ContentHash.Of(submission.Content)
                    ? RecordOutcome.Unchanged(existing)
                    : RecordOutcome.Conflict(submission.ClaimId,
                        $"Claim '{submission.ClaimId}' was already recorded for actor '{state.ActorId}' with other content."));
            }
            else
            {
                var recorded = new ClaimRecorded(submission.ClaimId, state.ActorId, submission.Content, at);
                state = Apply(state, recorded);
                events.Add(recorded);
                outcomes.Add(RecordOutcome.Created(state.Claims[^1]));
            }
        }

        return new(outcomes.MoveToImmutable(), events.ToImmutable(), state);
    }

    /// <summary>Retracts a live claim of the actor; only a whole state knows whether the claim is there.</summary>
    public static Decision<RetractOutcome> Retract(ActorState state, Guid claimId, string? reason, DateTimeOffset now)
    {
        if (!state.IsWhole)
        {
            throw new InvalidOperationException($"A retraction is decided on the whole state of '{state.ActorId}', not a resting one.");
        }

        var claim = state.FindClaim(claimId);
        if (claim is null)
        {
            return new([new RetractOutcome(RetractStatus.NotFound, null)], [], state);
        }

        if (claim.IsRetracted)
        {
            return new([new RetractOutcome(RetractStatus.AlreadyRetracted, claim)], [], state);
        }

        var retracted = new ClaimRetracted(claimId, state.ActorId, reason, RecordingTime(state, now));
        var after = Apply(state, retracted);
        return new([new RetractOutcome(RetractStatus.Retracted, after.FindClaim(claimId))], [retracted], after);
    }

    /// <summary>
    /// Records that the person's text was erased (decision 0015), once: a profile without a name was erased
    /// before. <paramref name="rewrittenEvents"/> is how many stored events the erasure rewrote.
    /// </summary>
    public static Decision<ErasureStatus> Erase(ActorState state, string erasedBy, int rewrittenEvents, DateTimeOffset now)
    {
        if (!state.IsRegistered)
        {
            return new([ErasureStatus.ActorNotFound], [], state);
        }

        return Erasure.IsErased(state.Profile)
            ? new([ErasureStatus.AlreadyErased], [], state)
            : Single(state, ErasureStatus.Erased, new ActorErased(state.ActorId, erasedBy, rewrittenEvents, RecordingTime(state, now)));
    }

    /// <summary>Folds one event into the state; every event advances the stream version by one.</summary>
    public static ActorState Apply(ActorState state, IActorEvent @event)
    {
        var version = state.Version + 1;
        var last = @event.RecordedAt > state.LastRecordedAt ? @event.RecordedAt : state.LastRecordedAt;
        state = state with { Version = version, LastRecordedAt = last };
        return @event switch
        {
            ActorRegistered e => state with { Profile = new ActorProfile(e.Name, e.Kind, e.Aliases) },
            ActorProfileChanged e => state with { Profile = new ActorProfile(e.Name, e.Kind, e.Aliases) },
            ClaimRecorded e => state with { Claims = state.Claims.Add(e, version) },
            ClaimRetracted e => state with { Claims = state.Claims.Retract(e.ClaimId, e.RecordedAt) },
            ActorErased => state with { Profile = state.Profile is null ? null : Erasure.Erase(state.Profile) },
            _ => state,
        };
    }

    public static ActorState Fold(ActorState state, IEnumerable<IActorEvent> events) =>
        events.Aggregate(state, Apply);

    // Transaction time never runs backwards within one stream, even if silos' clocks disagree.
    private static DateTimeOffset RecordingTime(ActorState state, DateTimeOffset now) =>
        now > state.LastRecordedAt ? now : state.LastRecordedAt;

    private static Decision<T> Single<T>(ActorState state, T status, IActorEvent @event) =>
        new([status], [@event], Apply(state, @event));
}

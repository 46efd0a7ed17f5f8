using System.Collections.Immutable;
using System.Diagnostics;
using ClaimStore.Domain.Actors;
using ClaimStore.Domain.Claims;
using ClaimStore.Domain.Positions;
using ClaimStore.Domain.Timelines;
using ClaimStore.Storage;
using Microsoft.Extensions.Logging;
using Orleans.Concurrency;

namespace ClaimStore.Grains.Actors;

/// <summary>
/// The single writer of one actor's stream. Orleans runs at most one activation per actor in a
/// healthy cluster; the expected-version check of every append covers the rare second activation
/// during a partition.
/// </summary>
/// <remarks>
/// The grain is reentrant so that writes arriving while an append is in flight can queue up and
/// share the next transaction (group commit). Orleans still runs one turn at a time, so the queue
/// and the state need no locks; the one writer loop (<see cref="WriteQueuedAsync"/>) is the only
/// code that appends, and <c>_state</c> only changes in it (or in a turn of <see cref="RestAsync"/>
/// while it is not running), by one reference assignment.
/// The state rests, holding no claims, when the silo's <see cref="LedgerBudget"/> asks; a read or
/// retraction then loads it whole again through the writer loop (decision 0017).
/// </remarks>
[Reentrant]
public sealed partial class ActorGrain(
    ActorStreams streams, ActorSnapshots snapshots, LocalPositions local, LedgerBudget budget, PersonalDataEraser eraser,
    TimeProvider clock, ILogger<ActorGrain> logger)
    : Grain, IActorGrain
{
    // A conflict means another activation wrote; after a reload the next attempt nearly always wins.
    private const int MaxAttempts = 5;

    // Bounds one transaction: a burst larger than this is committed in several.
    private const int MaxClaimsPerAppend = 1000;

    private readonly Queue<PendingWrite> _queue = new();
    private bool _writing;
    private bool _snapshotting;
    private Task _snapshotSave = Task.CompletedTask;
    private long _snapshotVersion;
    private ActorState? _snapshotStored;
    private ActorState _state = null!;

    // The current positions, and the state they were computed from.
    private (ActorState Of, ActorPositions Positions)? _current;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // Rehydrate before the first call is let in (activation blocks all messages).
        var (snapshot, state) = await LoadWholeAsync(cancellationToken);
        _snapshotVersion = snapshot?.Version ?? 0;
        _snapshotStored = snapshot;
        State = state;
        SnapshotIfDue();
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        local.Withdraw(this.GetPrimaryKeyString(), this);
        budget.Release(this.GetPrimaryKeyString(), this);
        // A snapshot still being written is finished first: nothing of this activation writes once it is gone.
        await _snapshotSave.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing | ConfigureAwaitOptions.ContinueOnCapturedContext);
    }

    /// <summary>
    /// The last committed state. Setting it publishes it to <see cref="LocalPositions"/> (positions not
    /// computed yet) before any write it holds is acknowledged, and reports its ledger to the budget. A
    /// resting state keeps resting: the claims a write added to it are dropped once committed.
    /// </summary>
    private ActorState State
    {
        get => _state;
        set
        {
            _state = value.IsWhole ? value : value.Rested();
            local.Publish(value.ActorId, this, null);
            if (_state.IsWhole)
            {
                budget.Hold(value.ActorId, this, _state.Claims.MemoryBytes);
            }
            else
            {
                budget.Release(value.ActorId, this);
            }
        }
    }

    public async Task<RegistrationResult> RegisterAsync(ActorProfile profile)
    {
        var (outcomes, after) = await EnqueueAsync(new PendingWrite<RegistrationStatus>(0, [],
            (state, now, _) => ActorDecider.Register(state, profile, now)));
        return new RegistrationResult(outcomes[0], after.Profile!, after.ClaimCount);
    }

    public async Task<ImmutableArray<RecordOutcome>> RecordClaimsAsync(ImmutableArray<ClaimSubmission> claims)
    {
        var (outcomes, _) = await EnqueueAsync(new PendingWrite<RecordOutcome>(claims.Length, [.. claims.Select(c => c.ClaimId)],
            (state, now, foreign) => DecideClaims(state, claims, foreign, now)));
        return outcomes;
    }

    public async Task<RetractOutcome> RetractClaimAsync(Guid claimId, string? reason)
    {
        // A whole state stays whole until the queue is drained (no rest while writing): only a resting one loads first.
        var (outcomes, _) = await EnqueueAsync(new PendingWrite<RetractOutcome>(1, [],
            (state, now, _) => ActorDecider.Retract(state, claimId, reason, now), _state.IsWhole ? null : _ => LoadWholeIntoStateAsync()));
        return outcomes[0];
    }

    public async Task<ErasureResult> EraseAsync(string erasedBy)
    {
        var rewrite = new ErasureRewrite(0, []);
        var (outcomes, after) = await EnqueueAsync(new PendingWrite<ErasureStatus>(0, [],
            (state, now, _) => ActorDecider.Erase(state, erasedBy, rewrite.Events, now),
            async state =>
            {
                if (!state.IsRegistered)
                {
                    return;
                }

                // A snapshot being written holds the old profile: let it land before the rewrite drops it, and write
                // none after (this activation ends below; the next one folds the rewritten events).
                await _snapshotSave;
                _snapshotting = true;
                try
                {
                    rewrite = await eraser.EraseAsync(state.ActorId, CancellationToken.None);
                }
                catch
                {
                    // Nothing was rewritten (one transaction): this activation's state is still the stream's.
                    _snapshotting = false;
                    throw;
                }
            }));
        if (outcomes[0] == ErasureStatus.ActorNotFound)
        {
            return new ErasureResult(outcomes[0], after.Version, 0);
        }

        // Grains whose claims were rewritten hold the old content in their memory (hashes): they fold their streams again.
        foreach (var other in rewrite.Streams.Where(s => s != after.ActorId))
        {
            await GrainFactory.GetActorGrain(other).ReloadAsync();
        }

        DeactivateOnIdle();
        return new ErasureResult(outcomes[0], after.Version, rewrite.Events);
    }

    public Task ReloadAsync()
    {
        DeactivateOnIdle();
        return Task.CompletedTask;
    }

    public Task<bool> RestAsync()
    {
        // Only between writes: a write decides on the state it found, and a retraction needs it whole.
        if (_writing || !_state.IsWhole || _state.Claims.Count == 0)
        {
            return Task.FromResult(false);
        }

        State = _state.Rested();
        _snapshotStored = null;
        _current = null;
        return Task.FromResult(true);
    }

    public async Task<ActorSnapshot> GetSnapshotAsync()
    {
        var state = await WholeStateAsync();
        return new ActorSnapshot(state.ActorId, state.Profile, state.Version, state.Claims.ToImmutableList());
    }

    public async Task<ActorPositions> GetPositionsAsync(DateTimeOffset? asOf, DateTimeOffset? knownAt)
    {
        var state = await WholeStateAsync();
        budget.Touch(state.ActorId, this);
        if (asOf is not null || knownAt is not null)
        {
            return Positions(state, asOf, knownAt);
        }

        // Current positions are what dashboards poll: computed once per state, and handed out as the
        // same immutable object (Orleans passes [Immutable] results of local calls without a copy).
        if (_current is not { } current || !ReferenceEquals(current.Of, state))
        {
            current = (state, Positions(state, null, null));
            _current = current;
        }

        // Published on every call, which also renews the entry (LocalPositions.FreshFor).
        local.Publish(state.ActorId, this, current.Positions);
        return current.Positions;
    }

    public async Task<ActorTimeline> GetTimelineAsync(string? propositionKey, DateTimeOffset? knownAt)
    {
        var state = await WholeStateAsync();
        budget.Touch(state.ActorId, this);
        return new ActorTimeline(state.IsRegistered, Timeline.Compute(state.Claims, knownAt, propositionKey), state.Version);
    }

    /// <summary>
    /// The last committed state, whole: a resting one is loaded whole through the writer loop, so that the
    /// load and the writes queued before it are ordered (read-your-writes) and the state changes only there.
    /// </summary>
    private async Task<ActorState> WholeStateAsync()
    {
        if (_state.IsWhole)
        {
            return _state;
        }

        var (_, after) = await EnqueueAsync(new PendingWrite<bool>(0, [],
            (state, _, _) => new Decision<bool>([true], [], state), _ => LoadWholeIntoStateAsync()));
        return after;
    }

    /// <summary>Makes the state whole (a write's preparation: nothing else is in flight).</summary>
    private async Task LoadWholeIntoStateAsync()
    {
        if (_state.IsWhole)
        {
            return;
        }

        var (snapshot, whole) = await LoadWholeAsync(CancellationToken.None);
        _snapshotStored = snapshot;
        State = whole;
    }

    /// <summary>The latest snapshot (null if none is usable) and the whole state: the snapshot and the events after it.</summary>
    private async Task<(ActorState? Snapshot, ActorState Whole)> LoadWholeAsync(CancellationToken cancellationToken)
    {
        var actorId = this.GetPrimaryKeyString();
        ActorState? snapshot = null;
        try
        {
            snapshot = await snapshots.LoadAsync(actorId, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogSnapshotFailed(logger, actorId, ex);
        }

        return (snapshot, await streams.CatchUpAsync(snapshot ?? ActorState.Empty(actorId), cancellationToken));
    }

    private static ActorPositions Positions(ActorState state, DateTimeOffset? asOf, DateTimeOffset? knownAt) =>
        new(state.IsRegistered, [.. Position.ComputeAll(state.Claims, asOf, knownAt)], state.Version);

    private Task<(ImmutableArray<T> Outcomes, ActorState After)> EnqueueAsync<T>(PendingWrite<T> write)
    {
        _queue.Enqueue(write);
        // Start the writer loop unless it runs already; it drains everything queued meanwhile.
        // (The flag is set before the call: a batch with nothing to append completes synchronously.)
        if (!_writing)
        {
            _writing = true;
            _ = WriteQueuedAsync();
        }

        return write.Completion.Task;
    }

    private async Task WriteQueuedAsync()
    {
        try
        {
            while (_queue.Count > 0)
            {
                var batch = new List<PendingWrite> { _queue.Dequeue() };
                var claims = batch[0].Claims;
                // A write with work of its own before its decision (an erasure, a load of the whole state, a
                // retraction on a resting state) is committed alone.
                while (batch[0].Prepare is null && _queue.TryPeek(out var next) && next.Prepare is null
                    && claims + next.Claims <= MaxClaimsPerAppend)
                {
                    batch.Add(_queue.Dequeue());
                    claims += next.Claims;
                }

                try
                {
                    if (batch[0].Prepare is { } prepare)
                    {
                        await prepare(_state);
                    }

                    await CommitAsync(batch);
                }
                catch (Exception ex)
                {
                    // Reloading after a conflict failed (the database went away meanwhile): answer the batch, go on.
                    batch.ForEach(w => w.Fail(ex));
                }
            }
        }
        finally
        {
            _writing = false;
        }
    }

    /// <summary>
    /// Decides the batch in order against the current state and appends all its events in one
    /// transaction with the state's version as the expected version; on a conflict, catches up
    /// from the stream and decides again. Each caller is answered only after the commit.
    /// </summary>
    private async Task CommitAsync(List<PendingWrite> batch)
    {
        // Claim ids found in other actors' streams: those claims are conflicts, the rest go ahead.
        var foreign = ImmutableDictionary<Guid, string>.Empty;
        for (var attempt = 1; ; attempt++)
        {
            var now = clock.GetUtcNow();
            var state = _state;
            var events = ImmutableArray.CreateBuilder<IActorEvent>();
            foreach (var write in batch)
            {
                state = write.Decide(state, now, foreign, events);
            }

            try
            {
                if (events.Count > 0)
                {
                    await streams.AppendAsync(_state.ActorId, _state.Version, events.ToImmutable(), [.. batch.Select(w => w.Caller)]);
                    State = state;
                    SnapshotIfDue();
                }

                batch.ForEach(w => w.Complete());
                return;
            }
            catch (StreamVersionConflictException ex) when (attempt < MaxAttempts)
            {
                LogConflict(logger, _state.ActorId, _state.Version, attempt, ex.Message);
                State = await streams.CatchUpAsync(_state);
            }
            catch (DuplicateEventIdException) when (attempt < MaxAttempts)
            {
                // The claim is in this stream already (another activation stored it, or a resting state does not
                // hold it: the whole state shows it) or the id belongs to another actor's claim (looking it up shows whose).
                if (_state.IsWhole)
                {
                    State = await streams.CatchUpAsync(_state);
                }
                else
                {
                    await LoadWholeIntoStateAsync();
                }

                var unknown = batch.SelectMany(w => w.ClaimIds).Where(id => _state.FindClaim(id) is null).ToArray();
                foreign = foreign.AddRange(await streams.FindStreamsOfEventsAsync(unknown));
            }
            catch (Exception ex)
            {
                // The commit may or may not have happened; the next write's expected version tells.
                batch.ForEach(w => w.Fail(ex));
                return;
            }
        }
    }

    /// <summary>
    /// Saves a snapshot in the background when enough events have passed since the last one. It
    /// runs as its own chain of turns (the grain is reentrant), so writes never wait for it, and
    /// it serialises an immutable state, so later writes cannot tear it.
    /// </summary>
    private void SnapshotIfDue()
    {
        if (_snapshotting || !ActorSnapshots.IsDue(_state.Version, _snapshotVersion))
        {
            return;
        }

        _snapshotting = true;
        _snapshotSave = SaveSnapshotAsync(_state.IsWhole ? _state : null);
    }

    /// <summary>Saves a snapshot of <paramref name="state"/>, or of the whole state loaded for it when the grain rests.</summary>
    private async Task SaveSnapshotAsync(ActorState? state)
    {
        try
        {
            var stored = _snapshotStored;
            if (state is null)
            {
                (state, stored) = await snapshots.LoadAndSaveAsync(LoadWholeAsync, CancellationToken.None);
            }
            else if (await snapshots.SaveAsync(state, stored, CancellationToken.None))
            {
                // Only chunks that changed since the stored snapshot were written again.
                stored = state;
            }

            // A resting grain keeps no ledger, not even the one it just saved.
            _snapshotStored = _state.IsWhole ? stored : null;
            _snapshotVersion = state.Version;
        }
        catch (Exception ex)
        {
            // Only activation speed depends on snapshots; the events remain the truth.
            LogSnapshotFailed(logger, _state.ActorId, ex);
        }
        finally
        {
            _snapshotting = false;
        }
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
        return new([.. outcomes], decided.Events, decided.After);
    }

    /// <summary>One queued command: decided in its turn of a batch, answered when the batch commits.</summary>
    private abstract class PendingWrite(int claims, ImmutableArray<Guid> claimIds, Func<ActorState, Task>? prepare)
    {
        public int Claims { get; } = claims;

        /// <summary>Work done in the writer loop before the decision, with nothing else in flight; null for most writes.</summary>
        public Func<ActorState, Task>? Prepare { get; } = prepare;

        public ImmutableArray<Guid> ClaimIds { get; } = claimIds;

        // The span of the grain call that queued this write (the writer loop runs under the first caller's).
        public ActivityContext Caller { get; } = Activity.Current?.Context ?? default;

        /// <summary>Decides against <paramref name="state"/>, adds the events, returns the state after them.</summary>
        public abstract ActorState Decide(
            ActorState state, DateTimeOffset now, ImmutableDictionary<Guid, string> foreign, ImmutableArray<IActorEvent>.Builder events);

        public abstract void Complete();

        public abstract void Fail(Exception exception);
    }

    private sealed class PendingWrite<T>(
        int claims,
        ImmutableArray<Guid> claimIds,
        Func<ActorState, DateTimeOffset, ImmutableDictionary<Guid, string>, Decision<T>> decide,
        Func<ActorState, Task>? prepare = null)
        : PendingWrite(claims, claimIds, prepare)
    {
        private (ImmutableArray<T> Outcomes, ActorState After) _decided;

        public TaskCompletionSource<(ImmutableArray<T> Outcomes, ActorState After)> Completion { get; } =
            new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override ActorState Decide(
            ActorState state, DateTimeOffset now, ImmutableDictionary<Guid, string> foreign, ImmutableArray<IActorEvent>.Builder events)
        {
            var decision = decide(state, now, foreign);
            events.AddRange(decision.Events);
            _decided = (decision.Outcomes, decision.After);
            return decision.After;
        }

        public override void Complete() => Completion.TrySetResult(_decided);

        public override void Fail(Exception exception) => Completion.TrySetException(exception);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Snapshot of {ActorId} could not be read or written")]
    private static partial void LogSnapshotFailed(ILogger logger, string actorId, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Stream of {ActorId} moved past version {Version} (attempt {Attempt}): {Reason}; reloading")]
    private static partial void LogConflict(ILogger logger, string actorId, long version, int attempt, string reason);
}

using System.Diagnostics;
using ClaimStore.Api.Feeds;
using ClaimStore.Domain.Propositions;
using ClaimStore.Grains.Storage;
using ClaimStore.Grains.Telemetry;
using Marten;
using Npgsql;

namespace ClaimStore.Api.ReadModel;

/// <summary>The read side is not caught up with the log within the wait a query allows.</summary>
public sealed class ReadModelBehindException(long at, long head)
    : Exception($"The read side is at sequence {at}, the log at {head}; try again shortly.");

/// <summary>
/// Follows the global event log in sequence order and keeps this host's <see cref="PropositionLedger"/>.
/// It reads only up to the log's <see cref="LogHorizon"/> (decision 0007), so following
/// <c>seq &gt; cursor</c> misses nothing although appends commit concurrently; every host folds the
/// same log, so every host holds the same answers, and there is no shared mutable read model to lose
/// updates on. A query first reads the log's head and waits
/// until the ledger has reached it, so whatever was acknowledged before the query is in the answer.
/// </summary>
public sealed partial class ReadModelFollower(
    IDocumentStore store, NpgsqlDataSource database, ContradictionFeed contradictions, LogAppendSignal appended,
    ILogger<ReadModelFollower> logger) : BackgroundService
{
    public const int BatchSize = 5000;
    private static readonly TimeSpan IdlePoll = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan MaxQueryWait = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan PublishEvery = TimeSpan.FromSeconds(1);

    private readonly RewindRequests _rewinds = new();
    private PropositionLedger _ledger = new();
    private volatile TaskCompletionSource _wake = NewSignal();
    private volatile ReadModelSnapshot _snapshot = ReadModelSnapshot.Empty;
    private volatile TaskCompletionSource _advanced = NewSignal();
    private long _head;
    private long _behindSince;

    /// <summary>The snapshot as of now: it includes every event committed before this call.</summary>
    public async Task<ReadModelSnapshot> CurrentAsync(CancellationToken cancellationToken)
    {
        var head = await LogHorizon.HeadAsync(database, cancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(MaxQueryWait);
        while (_snapshot.Sequence < head)
        {
            var advanced = _advanced.Task;
            _wake.TrySetResult();
            try
            {
                await advanced.WaitAsync(timeout.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new ReadModelBehindException(_snapshot.Sequence, head);
            }
        }

        return _snapshot;
    }

    /// <summary>
    /// Starts over from an empty ledger, for a store that was emptied; ends once a round on the new log is
    /// done. Clients following the contradictions have their streams ended, as after any interruption.
    /// </summary>
    public Task RewindAsync()
    {
        var rewound = _rewinds.Request();
        _wake.TrySetResult();
        return rewound;
    }

    /// <summary>
    /// What one <see cref="CatchUpAsync"/> did: the events it folded, whether appends in flight held it below
    /// the head, and the head it read as it started.
    /// </summary>
    public readonly record struct CatchUp(long Applied, bool HeldBack, long Head);

    /// <summary>
    /// Folds every event after the ledger's position up to the log's horizon into it, in batches. Publishes
    /// when caught up, and at least every <see cref="PublishEvery"/> on a long way there (a snapshot per batch
    /// would rebuild the changed chunks of the model 200 times while refolding a million events).
    /// </summary>
    public static async Task<CatchUp> CatchUpAsync(
        IDocumentStore store, PropositionLedger ledger, Action<ReadModelSnapshot> published, CancellationToken cancellationToken)
    {
        var log = new EventLogReader(store, PropositionLedger.Reads);
        await using var connection = await EventLogReader.OpenAsync(store, cancellationToken);
        var (horizon, head) = await LogHorizon.ReadAsync(connection, cancellationToken);
        var sincePublished = Stopwatch.StartNew();
        long applied = 0;
        var unpublished = false;
        while (true)
        {
            var events = await log.ReadAsync(connection, null, ledger.Sequence, horizon, BatchSize, cancellationToken);
            foreach (var (sequence, e) in events)
            {
                if (e is null)
                {
                    ledger.Skip(sequence);
                }
                else
                {
                    ledger.Apply(sequence, e);
                }
            }

            applied += events.Count;
            unpublished |= events.Count > 0;
            var caughtUp = events.Count < BatchSize;
            if (unpublished && (caughtUp || sincePublished.Elapsed >= PublishEvery))
            {
                published(ledger.Publish());
                unpublished = false;
                sincePublished.Restart();
            }

            if (caughtUp)
            {
                return new CatchUp(applied, horizon < head, head);
            }
        }
    }

    /// <summary>
    /// Events behind the head the last round read, and seconds since the read side was last caught up
    /// with a head (0 when it is): what the <c>claimstore.read_side.lag</c> gauges show.
    /// </summary>
    public (long Events, double Seconds) Lag()
    {
        var behind = Math.Max(0, Volatile.Read(ref _head) - _snapshot.Sequence);
        var since = Volatile.Read(ref _behindSince);
        return (behind, behind == 0 || since == 0 ? 0 : ClaimStoreMeter.SecondsSince(since));
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var lag = ClaimStoreMeter.ObserveReadSideLag(Lag);
        while (!stoppingToken.IsCancellationRequested)
        {
            // One round serves every query that asked for it so far; one that asks during the round gets the next.
            Interlocked.Exchange(ref _wake, NewSignal());
            var rewind = _rewinds.Take();
            if (rewind is not null)
            {
                _ledger = new PropositionLedger();
                Publish(ReadModelSnapshot.Empty);
                contradictions.EndAll();
            }

            var heldBack = false;
            var roundStarted = Stopwatch.GetTimestamp();
            try
            {
                var round = await CatchUpAsync(store, _ledger, Publish, stoppingToken);
                heldBack = round.HeldBack;
                Volatile.Write(ref _head, round.Head);
                // Behind since this round started unless it reached the head it read.
                var caughtUp = _snapshot.Sequence >= round.Head;
                Volatile.Write(ref _behindSince, caughtUp ? 0 : _behindSince == 0 ? roundStarted : _behindSince);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The database may be down for a moment; the next round starts from the same cursor.
                LogFollowFailed(logger, _ledger.Sequence, ex);
            }

            // Every round ends by waking the waiting queries, which then compare with their head.
            Interlocked.Exchange(ref _advanced, NewSignal()).TrySetResult();
            rewind?.TrySetResult();
            if (heldBack)
            {
                // Appends in flight held the last round below the head; the queries waiting for it would
                // otherwise ask for round after round until those appends end.
                await Task.Delay(1, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }

            // A query that waits, the poll for commits anywhere, and, while clients follow the contradictions, a commit here.
            var poll = Task.Delay(IdlePoll, stoppingToken);
            await (contradictions.Followers > 0 ? Task.WhenAny(_wake.Task, appended.Next, poll) : Task.WhenAny(_wake.Task, poll));
        }
    }

    private void Publish(ReadModelSnapshot snapshot)
    {
        var before = _snapshot;
        _snapshot = snapshot;
        contradictions.Published(before, snapshot);
        Interlocked.Exchange(ref _advanced, NewSignal()).TrySetResult();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Following the event log after sequence {Sequence} failed; retrying")]
    private static partial void LogFollowFailed(ILogger logger, long sequence, Exception exception);
}

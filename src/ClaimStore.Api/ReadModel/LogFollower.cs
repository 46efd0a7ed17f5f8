using ClaimStore.Storage;

namespace ClaimStore.Api.ReadModel;

/// <summary>A table kept from the log is not caught up with it within the wait a query allows.</summary>
public sealed class ReadModelBehindException(long at, long head)
    : Exception($"The read side is at sequence {at}, the log at {head}; try again shortly.");

/// <summary>
/// The loop of a host's follower of the log that keeps PostgreSQL tables with a checkpoint (the read side, the search
/// index): one round at a time, woken by a query that waits, by a commit on this host (batched, <see cref="AppendBatching"/>) or by a poll
/// for commits on other hosts. Queries wait here until the checkpoint has reached the log head they read, so whatever
/// was acknowledged before a query is in its answer.
/// </summary>
public abstract partial class LogFollower(EventLog log, LogAppendSignal appended, ILogger logger) : BackgroundService
{
    private static readonly TimeSpan IdlePoll = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan MaxQueryWait = TimeSpan.FromSeconds(5);

    // Commits on this host start a round no sooner than this after the last: larger batches cost less per event.
    private static readonly TimeSpan AppendBatching = TimeSpan.FromMilliseconds(50);

    private readonly RewindRequests _rewinds = new();
    private volatile TaskCompletionSource _wake = NewSignal();
    private volatile TaskCompletionSource _advanced = NewSignal();
    private long _checkpoint;

    /// <summary>The last sequence of the log the tables held when this host last looked.</summary>
    public long Checkpoint => Volatile.Read(ref _checkpoint);

    /// <summary>What the follower keeps, for its log lines.</summary>
    protected abstract string Keeps { get; }

    /// <summary>
    /// One round: takes events after the stored checkpoint into the tables if no other host is doing so, else reads the
    /// checkpoint. Returns the checkpoint after it, and whether a full batch was read (more may be waiting).
    /// </summary>
    protected abstract Task<(long Checkpoint, bool More)> RoundAsync(CancellationToken cancellationToken);

    /// <summary>Called after every round that found the checkpoint moved, whoever moved it.</summary>
    protected virtual void Advanced()
    {
    }

    /// <summary>The last sequence handed out in the log.</summary>
    protected Task<long> HeadAsync(CancellationToken cancellationToken) => log.HeadAsync(cancellationToken);

    /// <summary>Waits until the tables hold every event committed before this call.</summary>
    public async Task CatchUpAsync(CancellationToken cancellationToken)
    {
        var head = await HeadAsync(cancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(MaxQueryWait);
        while (Checkpoint < head)
        {
            var advanced = _advanced.Task;
            _wake.TrySetResult();
            try
            {
                await advanced.WaitAsync(timeout.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new ReadModelBehindException(Checkpoint, head);
            }
        }
    }

    /// <summary>
    /// For a store that was emptied (its checkpoint back at 0): ends once a round that started afterwards is done, so
    /// no query waits on, or trusts, the checkpoint of the old log.
    /// </summary>
    public Task RewindAsync()
    {
        var rewound = _rewinds.Request();
        _wake.TrySetResult();
        return rewound;
    }

    /// <summary>Called at the start of the round that takes a rewind request.</summary>
    protected virtual void Rewound()
    {
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            // A query that asks during the round gets the next one.
            Interlocked.Exchange(ref _wake, NewSignal());
            var rewind = _rewinds.Take();
            if (rewind is not null)
            {
                Volatile.Write(ref _checkpoint, 0);
                Rewound();
            }

            // Read before the round: a commit during it must start the next one, not wait for the poll.
            var committed = appended.Next;
            var more = false;
            try
            {
                var before = Checkpoint;
                (var checkpoint, more) = await RoundAsync(stoppingToken);
                Volatile.Write(ref _checkpoint, checkpoint);
                if (checkpoint != before)
                {
                    Advanced();
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The database may be down for a moment; the next round starts from the stored checkpoint.
                LogRoundFailed(logger, Keeps, Checkpoint, ex);
            }

            Interlocked.Exchange(ref _advanced, NewSignal()).TrySetResult();
            rewind?.TrySetResult();
            if (more)
            {
                continue;
            }

            // A query that waits, a commit on this host, or the poll for commits on other hosts.
            var next = _wake.Task;
            await Task.WhenAny(next, committed, Task.Delay(IdlePoll, stoppingToken));
            if (!next.IsCompleted)
            {
                await Task.WhenAny(next, Task.Delay(AppendBatching, stoppingToken));
            }
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Keeping {Keeps} after sequence {Sequence} failed; retrying")]
    private static partial void LogRoundFailed(ILogger logger, string keeps, long sequence, Exception exception);
}

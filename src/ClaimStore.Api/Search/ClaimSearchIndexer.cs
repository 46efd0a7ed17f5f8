using ClaimStore.Api.ReadModel;
using ClaimStore.Domain.Claims;
using ClaimStore.Grains.Storage;
using Marten;
using Npgsql;

namespace ClaimStore.Api.Search;

/// <summary>
/// Keeps the claim search index (<see cref="ClaimSearchIndex"/>) up with the log. Every host runs one; in
/// each round only the host that wins the index's lock writes, so the hosts share the work without
/// writing a claim twice, and a host that dies leaves nothing half done. Searches wait here until the
/// index has taken in every event committed before them. With <c>Search:Indexing=false</c> a host leaves
/// the writing to the others and only waits for them.
/// </summary>
public sealed partial class ClaimSearchIndexer(
    ClaimSearchIndex index, IDocumentStore store, NpgsqlDataSource database, LogAppendSignal appended,
    IConfiguration configuration, ILogger<ClaimSearchIndexer> logger) : BackgroundService
{
    public const int BatchSize = 5000;
    private static readonly TimeSpan IdlePoll = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan MaxQueryWait = TimeSpan.FromSeconds(5);

    // Commits on this host start a round no sooner than this after the last: larger batches cost less per claim.
    private static readonly TimeSpan AppendBatching = TimeSpan.FromMilliseconds(50);

    private readonly EventLogReader _log = new(store, Reads);

    /// <summary>The events the index takes in; the reader skips the others unread.</summary>
    public static bool Reads(Type eventType) => eventType == typeof(ClaimRecorded) || eventType == typeof(ClaimRetracted);
    private volatile TaskCompletionSource _wake = NewSignal();
    private long _checkpoint;
    private volatile TaskCompletionSource _advanced = NewSignal();
    private readonly RewindRequests _rewinds = new();

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        // The tables exist before the host serves its first search.
        await index.EnsureCreatedAsync(cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    /// <summary>Waits until the index holds every event committed before this call.</summary>
    public async Task CatchUpAsync(CancellationToken cancellationToken)
    {
        var head = await LogHorizon.HeadAsync(database, cancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(MaxQueryWait);
        while (Volatile.Read(ref _checkpoint) < head)
        {
            var advanced = _advanced.Task;
            _wake.TrySetResult();
            try
            {
                await advanced.WaitAsync(timeout.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new ReadModelBehindException(Volatile.Read(ref _checkpoint), head);
            }
        }
    }

    /// <summary>
    /// For a store that was emptied (its checkpoint back at 0): ends once a round that started afterwards is
    /// done, so no search waits on, or trusts, the checkpoint of the old log.
    /// </summary>
    public Task RewindAsync()
    {
        var rewound = _rewinds.Request();
        _wake.TrySetResult();
        return rewound;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var indexing = configuration.GetValue("Search:Indexing", true);
        while (!stoppingToken.IsCancellationRequested)
        {
            // A search that asks during the round gets the next one.
            Interlocked.Exchange(ref _wake, NewSignal());
            var rewind = _rewinds.Take();
            if (rewind is not null)
            {
                Volatile.Write(ref _checkpoint, 0);
            }

            // Read before the round: a commit during it must start the next one, not wait for the poll.
            var committed = appended.Next;
            var more = false;
            try
            {
                long checkpoint;
                (checkpoint, more) = indexing
                    ? await index.IndexAsync(
                        async (connection, transaction, after, upTo) => await _log.ReadAsync(connection, transaction, after, upTo, BatchSize, stoppingToken),
                        BatchSize, stoppingToken)
                    : (await index.CheckpointAsync(stoppingToken), false);
                Volatile.Write(ref _checkpoint, checkpoint);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The database may be down for a moment; the next round starts from the stored checkpoint.
                LogIndexFailed(logger, Volatile.Read(ref _checkpoint), ex);
            }

            Interlocked.Exchange(ref _advanced, NewSignal()).TrySetResult();
            rewind?.TrySetResult();
            if (more)
            {
                continue;
            }

            // A search that waits, a commit on this host, or the poll for commits on other hosts.
            var next = _wake.Task;
            await Task.WhenAny(next, committed, Task.Delay(IdlePoll, stoppingToken));
            if (!next.IsCompleted)
            {
                await Task.WhenAny(next, Task.Delay(AppendBatching, stoppingToken));
            }
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Indexing claims for search after sequence {Sequence} failed; retrying")]
    private static partial void LogIndexFailed(ILogger logger, long sequence, Exception exception);
}

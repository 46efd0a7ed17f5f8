using System.Runtime.CompilerServices;
using ClaimStore.Api.History;
using ClaimStore.Api.ReadModel;
using ClaimStore.Domain.Actors;
using ClaimStore.Domain.Claims;
using ClaimStore.Storage;

namespace ClaimStore.Api.Feeds;

/// <summary>An event of the global log as the live feed sends it: framed once, with what its filters look at.</summary>
public sealed record LiveEvent(long Sequence, string ActorId, string? PropositionKey, ServerSentEvent Message);

/// <summary>
/// The tail of the global log for this host's live feeds. While anyone follows, one loop reads the log
/// up to its horizon (decision 0007: nothing below it commits later, so the tail has no gaps) and keeps
/// the latest <see cref="Window"/> events framed in memory; every follower takes them from there, and one
/// that is further behind reads its way up from the store first. A commit on this host wakes the loop at
/// once, commits on other hosts are found by polling.
/// </summary>
public sealed partial class LiveEventLog(
    EventLog log, ActorStreams streams, LogAppendSignal appended, ILogger<LiveEventLog> logger)
    : BackgroundService
{
    public const int Window = 4096;
    private const int PageSize = 1000;
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MinRound = TimeSpan.FromMilliseconds(5);

    private readonly Lock _gate = new();
    private readonly List<LiveEvent> _recent = [];
    // Every event with _from < sequence <= _to is in _recent; _to < 0 while nobody follows.
    private long _from = -1;
    private long _to = -1;
    private int _followers;
    // Counts rewinds: a follower whose cursor belongs to an emptied log ends.
    private int _generation;
    private readonly RewindRequests _rewinds = new();
    private TaskCompletionSource _advanced = NewSignal();
    private volatile TaskCompletionSource _wake = NewSignal();

    /// <summary>How many clients follow the log on this host.</summary>
    public int Followers => Volatile.Read(ref _followers);

    /// <summary>Where a follower without a cursor starts: the log's horizon now, so it sees only new events and misses none.</summary>
    public Task<long> HorizonAsync(CancellationToken cancellationToken) => log.HorizonAsync(cancellationToken);

    /// <summary>
    /// Forgets the window, for a store that was emptied; every open follower ends (its cursor points into the
    /// old log). Ends once the loop has taken the request.
    /// </summary>
    public Task RewindAsync()
    {
        var rewound = _rewinds.Request();
        _wake.TrySetResult();
        return rewound;
    }

    /// <summary>
    /// Every event after <paramref name="after"/> that <paramref name="wanted"/> keeps, framed, in global order, as long
    /// as the caller reads: in batches, one for each stretch of the log found at once.
    /// </summary>
    public async IAsyncEnumerable<IReadOnlyList<ServerSentEvent>> FollowAsync(
        long after, Func<LiveEvent, bool> wanted, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _followers);
        _wake.TrySetResult();
        try
        {
            var cursor = after;
            int generation;
            lock (_gate)
            {
                generation = _generation;
            }

            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                List<LiveEvent>? recent = null;
                Task advanced;
                bool rewound;
                lock (_gate)
                {
                    rewound = _generation != generation;
                    advanced = _advanced.Task;
                    if (_to >= 0 && cursor >= _from)
                    {
                        recent = _recent[After(cursor)..];
                        cursor = Math.Max(cursor, _to);
                    }
                }

                if (rewound)
                {
                    yield break;
                }

                if (recent is null)
                {
                    // Behind the window (or the loop has not started yet): read from the store.
                    var (page, reached, _) = await ReadAsync(cursor, cancellationToken);
                    if (reached <= cursor)
                    {
                        await advanced.WaitAsync(Poll, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                        continue;
                    }

                    recent = page;
                    cursor = reached;
                }

                var batch = new List<ServerSentEvent>();
                foreach (var e in recent)
                {
                    if (wanted(e))
                    {
                        batch.Add(e.Message);
                    }
                }

                if (batch.Count > 0)
                {
                    yield return batch;
                }
                else
                {
                    await advanced.WaitAsync(cancellationToken);
                }
            }
        }
        finally
        {
            Interlocked.Decrement(ref _followers);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            if (_rewinds.Take() is { } rewind)
            {
                lock (_gate)
                {
                    _recent.Clear();
                    (_from, _to) = (-1, -1);
                    ++_generation;
                    Interlocked.Exchange(ref _advanced, NewSignal()).TrySetResult();
                }

                rewind.TrySetResult();
            }

            if (Followers == 0)
            {
                // A follower counts itself, then completes the signal read here: it cannot be missed.
                var wake = _wake.Task;
                lock (_gate)
                {
                    _recent.Clear();
                    (_from, _to) = (-1, -1);
                }

                if (Followers == 0)
                {
                    await wake.WaitAsync(stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                }

                Interlocked.Exchange(ref _wake, NewSignal());
                continue;
            }

            // Read before the round: a commit during it must start the next one, not wait for the poll.
            var committed = appended.Next;
            var full = false;
            try
            {
                full = await RoundAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The database may be down for a moment; followers wait, and the next round goes on from the same place.
                LogReadFailed(logger, _to, ex);
            }

            if (!full)
            {
                await Task.WhenAny(committed, Task.Delay(Poll, stoppingToken));
                await Task.Delay(MinRound, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    /// <summary>Reads the log after the window and adds it; true when a full page came (more may be waiting).</summary>
    private async Task<bool> RoundAsync(CancellationToken cancellationToken)
    {
        long to;
        lock (_gate)
        {
            to = _to;
        }

        if (to < 0)
        {
            to = await HorizonAsync(cancellationToken);
            lock (_gate)
            {
                (_from, _to) = (to, to);
            }
        }

        var (page, reached, full) = await ReadAsync(to, cancellationToken);
        lock (_gate)
        {
            // An erasure rewrote stored events before its ActorErased committed: the window may hold their old text.
            // Drop it, so followers behind this point read the rewritten events from the store (decision 0015).
            if (page.FindLastIndex(e => e.Message.Type == nameof(ActorErased)) is var erased and >= 0)
            {
                _recent.Clear();
                _from = page[erased].Sequence - 1;
                page = page[erased..];
            }

            _recent.AddRange(page);
            if (_recent.Count > Window)
            {
                var drop = _recent.Count - Window;
                _from = _recent[drop - 1].Sequence;
                _recent.RemoveRange(0, drop);
            }

            _to = Math.Max(to, reached);
            Interlocked.Exchange(ref _advanced, NewSignal()).TrySetResult();
        }

        return full;
    }

    /// <summary>The index in <see cref="_recent"/> of the first event after <paramref name="sequence"/>.</summary>
    private int After(long sequence)
    {
        var (low, high) = (0, _recent.Count);
        while (low < high)
        {
            var middle = (low + high) >>> 1;
            (low, high) = _recent[middle].Sequence <= sequence ? (middle + 1, high) : (low, middle);
        }

        return low;
    }

    /// <summary>
    /// Up to a page of events after <paramref name="after"/>, up to the log's horizon, framed as the feed sends them;
    /// <c>Reached</c> is how far the page saw the log (the horizon, unless the page was full), <c>Full</c> whether more may wait.
    /// </summary>
    private async Task<(List<LiveEvent> Page, long Reached, bool Full)> ReadAsync(long after, CancellationToken cancellationToken)
    {
        var (rows, horizon) = await log.PageAsync(after, PageSize, cancellationToken);

        // A retraction names only its claim; the feed's proposition filter needs the claim's proposition.
        var retracted = rows.Select(r => r.Event).OfType<ClaimRetracted>().Select(r => r.ClaimId).ToList();
        var propositions = retracted.Count == 0
            ? null
            : await streams.PropositionKeysOfClaimsAsync(retracted, cancellationToken);
        var page = new List<LiveEvent>(rows.Count);
        foreach (var row in rows)
        {
            if (row.Event is null)
            {
                continue; // a type this build does not know: GET /events could not show it either
            }

            var key = row.Event switch
            {
                ClaimRecorded e => e.Claim.Proposition.Key,
                ClaimRetracted e => propositions!.GetValueOrDefault(e.ClaimId),
                _ => null,
            };
            var item = new FeedEvent(row.Sequence, row.ActorId, row.Version, row.Type, row.Event.RecordedAt, row.Event);
            page.Add(new LiveEvent(row.Sequence, row.ActorId, key, ServerSentEvent.Create(row.Sequence, row.Type, item)));
        }

        var full = rows.Count == PageSize;
        return (page, full ? rows[^1].Sequence : Math.Max(after, horizon), full);
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reading the event log for live feeds after sequence {Sequence} failed; retrying")]
    private static partial void LogReadFailed(ILogger logger, long sequence, Exception exception);
}

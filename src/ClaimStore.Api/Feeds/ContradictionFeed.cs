using System.Runtime.CompilerServices;
using System.Threading.Channels;
using ClaimStore.Api.Contradictions;
using ClaimStore.Domain.Contradictions;
using ClaimStore.Storage;

namespace ClaimStore.Api.Feeds;

/// <summary>
/// Live changes of the contradiction list, for this host's followers. The read side's projector, on whichever host
/// wins a round, records each change in <see cref="ReadSideTables.ChangesTable"/> in the transaction that makes it;
/// while anyone follows here, this loop reads the changes after the last one it passed on, frames each once and hands
/// it to every follower that wants it. It wakes when this host's projector sees the checkpoint move.
/// </summary>
public sealed partial class ContradictionFeed(ReadSideTables tables, ILogger<ContradictionFeed> logger) : BackgroundService
{
    /// <summary>
    /// Messages a follower may fall behind by. A client that reads slower than contradictions change for this long
    /// has its stream ended; it reconnects and re-reads <c>GET /contradictions</c>, as after any interruption.
    /// </summary>
    public const int MaxBacklog = 100_000;

    private const int PageSize = 1000;

    // Changes recorded by another host are found by the projector's poll; this one only covers a missed wake-up.
    private static readonly TimeSpan SafetyPoll = TimeSpan.FromSeconds(1);

    private readonly Lock _gate = new();
    private List<Follower> _followers = [];

    // The id of the last change passed on; -1 while nobody follows (the first follower starts from the table's last).
    private long _last = -1;
    private volatile TaskCompletionSource _wake = NewSignal();

    public int Followers => Volatile.Read(ref _followers).Count;

    /// <summary>The read side moved: there may be changes to pass on.</summary>
    public void Wake() => _wake.TrySetResult();

    /// <summary>Ends every follower's stream: the list they followed is gone (the store was emptied).</summary>
    public void EndAll()
    {
        lock (_gate)
        {
            foreach (var follower in _followers)
            {
                follower.Messages.Writer.TryComplete();
            }

            _last = -1;
        }
    }

    public static string EventName(ContradictionChangeKind kind) => kind switch
    {
        ContradictionChangeKind.Opened => "contradiction-opened",
        ContradictionChangeKind.Updated => "contradiction-updated",
        _ => "contradiction-withdrawn",
    };

    /// <summary>
    /// Registers a follower before it returns, so every change recorded after this call reaches it; the stream yields
    /// the changes <paramref name="wanted"/> keeps as long as the caller reads, in batches of what has come since the last.
    /// </summary>
    public async Task<IAsyncEnumerable<IReadOnlyList<ServerSentEvent>>> FollowAsync(Func<ContradictionView, bool> wanted, CancellationToken cancellationToken)
    {
        var follower = new Follower(wanted, Channel.CreateBounded<ServerSentEvent>(
            new BoundedChannelOptions(MaxBacklog) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait }));
        var last = await tables.LastChangeAsync(cancellationToken);
        lock (_gate)
        {
            if (_last < 0)
            {
                _last = last;
            }

            _followers = [.. _followers, follower];
        }

        _wake.TrySetResult();
        return ReadAsync(follower);
    }

    // The caller's token (GetAsyncEnumerator's) ends the stream when the client goes away.
    private async IAsyncEnumerable<IReadOnlyList<ServerSentEvent>> ReadAsync(Follower follower, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        try
        {
            var reader = follower.Messages.Reader;
            while (await reader.WaitToReadAsync(cancellationToken))
            {
                var batch = new List<ServerSentEvent>();
                while (reader.TryRead(out var message))
                {
                    batch.Add(message);
                }

                yield return batch;
            }
        }
        finally
        {
            lock (_gate)
            {
                _followers = [.. _followers.Where(f => f != follower)];
                if (_followers.Count == 0)
                {
                    _last = -1;
                }
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            // A wake during the read below is for the next one.
            Interlocked.Exchange(ref _wake, NewSignal());
            long after;
            lock (_gate)
            {
                after = _last;
            }

            var full = false;
            if (after >= 0)
            {
                try
                {
                    var changes = await tables.ChangesAfterAsync(after, PageSize, stoppingToken);
                    PassOn(after, changes);
                    full = changes.Count == PageSize;
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogReadFailed(logger, after, ex); // the database may be down for a moment; the next wake tries again
                }
            }

            if (!full)
            {
                await Task.WhenAny(_wake.Task, after >= 0 ? Task.Delay(SafetyPoll, stoppingToken) : Task.Delay(Timeout.Infinite, stoppingToken));
            }
        }
    }

    private void PassOn(long after, List<RecordedChange> changes)
    {
        lock (_gate)
        {
            // Nobody follows any more, or the store was emptied meanwhile: these changes are nobody's.
            if (_last != after || changes.Count == 0)
            {
                return;
            }

            foreach (var (_, change) in changes)
            {
                var view = ContradictionView.From(change.Contradiction);
                var message = ServerSentEvent.Create(change.Sequence, EventName(change.Kind), view);
                foreach (var follower in _followers)
                {
                    if (follower.Wanted(view) && !follower.Messages.Writer.TryWrite(message))
                    {
                        follower.Messages.Writer.TryComplete();
                    }
                }
            }

            _last = changes[^1].Id;
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reading contradiction changes after {Id} failed; retrying")]
    private static partial void LogReadFailed(ILogger logger, long id, Exception exception);

    private sealed record Follower(Func<ContradictionView, bool> Wanted, Channel<ServerSentEvent> Messages);
}

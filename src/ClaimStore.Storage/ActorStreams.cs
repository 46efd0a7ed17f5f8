using System.Data.Common;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Threading.Channels;
using ClaimStore.Domain.Actors;
using ClaimStore.Domain.Claims;
using ClaimStore.Storage.Telemetry;
using JasperFx.Events;
using Marten;
using Marten.Exceptions;
using Marten.Services;
using Npgsql;
using Weasel.Core;
using Weasel.Storage;

namespace ClaimStore.Storage;

/// <summary>The stream was appended to by someone else since it was read: reload and decide again.</summary>
public sealed class StreamVersionConflictException(string actorId, Exception? inner = null)
    : Exception($"The stream of actor '{actorId}' moved on while appending.", inner);

/// <summary>An event id, and so a claim id, is stored already (in this stream or another one).</summary>
public sealed class DuplicateEventIdException(Exception inner)
    : Exception("An event with the same id is stored already.", inner);

/// <summary>
/// Reads and appends actor streams in Marten. Used only by <c>ActorGrain</c>, the single
/// writer of each stream; optimistic concurrency on the stream version is the backstop.
/// </summary>
/// <remarks>
/// Appends are group-committed: a committer takes every append request of its silo waiting at
/// that moment (one per stream) and commits them in one transaction, so concurrent writers share
/// the cost of a commit; a few committers per silo keep transactions overlapping. Each request is
/// answered only after the commit of the transaction that holds it. If a shared transaction fails, its requests are retried one per transaction, so one
/// stream's conflict never fails another stream's append.
/// A transaction that only adds claims to existing streams, nearly every one, is written into Marten's
/// tables by two set-based statements (<see cref="ClaimAppend"/>, decision 0010); any other goes
/// through Marten's session.
/// </remarks>
public sealed class ActorStreams : IAsyncDisposable
{
    /// <summary>
    /// Marten's stream for tombstones: rows that fill the sequence numbers of an append that failed after
    /// drawing them (a crash or a lost connection mid-commit). They hold no actor event; readers of the log skip them.
    /// </summary>
    public const string TombstoneStream = "mt_tombstone";

    // Bounds one transaction (and the work a failure throws away).
    private const int MaxEventsPerTransaction = 5000;

    // Committers per silo: transactions of one silo in flight at once. Appends commit concurrently
    // (decision 0007), so while one committer waits for its COMMIT's WAL flush, the others send theirs
    // and PostgreSQL flushes them together. More would only split the queue into smaller transactions.
    private const int Committers = 3;

    private readonly IDocumentStore _store;
    private readonly NpgsqlDataSource _dataSource;
    private readonly AnnounceOperation _announce;
    private readonly ClaimAppend _claimAppend;
    private readonly LogAppendSignal _appended;
    private readonly Channel<AppendRequest> _requests = Channel.CreateUnbounded<AppendRequest>();

    private readonly Task[] _committers;
    private readonly Lock _takeGate = new();

    public ActorStreams(IDocumentStore store, NpgsqlDataSource dataSource, DatabaseTimeouts timeouts, LogAppendSignal appended)
    {
        _store = store;
        _appended = appended;
        _dataSource = dataSource;
        var announce = LogHorizon.AnnounceSql(timeouts.AppendIdleTimeoutSeconds);
        _announce = new AnnounceOperation(announce);
        _claimAppend = new ClaimAppend(store, announce);
        _committers = [.. Enumerable.Range(0, Committers).Select(_ => Task.Run(CommitLoopAsync))];
    }

    /// <summary>Folds the events after <paramref name="state"/>'s version into it.</summary>
    public async Task<ActorState> CatchUpAsync(ActorState state, CancellationToken cancellationToken = default)
    {
        await using var session = _store.QuerySession();
        var events = await session.Events.FetchStreamAsync(
            state.ActorId, fromVersion: state.Version + 1, token: cancellationToken);
        return ActorDecider.Fold(state, events.Select(e => (IActorEvent)e.Data));
    }

    /// <summary>
    /// Appends <paramref name="events"/> if the stream is still at <paramref name="expectedVersion"/>;
    /// completes once the transaction holding them has committed.
    /// </summary>
    /// <exception cref="StreamVersionConflictException">The stream is not at the expected version.</exception>
    /// <exception cref="DuplicateEventIdException">One of the event ids is stored already.</exception>
    /// <param name="callers">The spans of the calls whose writes these are, so the commit's span joins their traces.</param>
    public Task AppendAsync(
        string actorId, long expectedVersion, IReadOnlyList<IActorEvent> events, IReadOnlyList<ActivityContext>? callers = null)
    {
        var request = new AppendRequest(actorId, expectedVersion, events, callers ?? []);
        if (!_requests.Writer.TryWrite(request))
        {
            throw new ObjectDisposedException(nameof(ActorStreams));
        }

        return request.Completion.Task;
    }

    public async ValueTask DisposeAsync()
    {
        _requests.Writer.TryComplete();
        await Task.WhenAll(_committers);
    }

    private async Task CommitLoopAsync()
    {
        var reader = _requests.Reader;
        var batch = new List<AppendRequest>();
        var streams = new HashSet<string>(StringComparer.Ordinal);
        while (await reader.WaitToReadAsync())
        {
            batch.Clear();
            streams.Clear();
            var events = 0;
            // One committer takes at a time, so the request it peeked at is the one it reads. Two requests
            // for one stream never share a transaction: the second expects the first's result.
            lock (_takeGate)
            {
                while (events < MaxEventsPerTransaction
                    && reader.TryPeek(out var next)
                    && !streams.Contains(next.ActorId)
                    && reader.TryRead(out next))
                {
                    batch.Add(next);
                    streams.Add(next.ActorId);
                    events += next.Events.Count;
                }
            }

            if (batch.Count > 0)
            {
                await CommitBatchAsync(batch);
            }
        }
    }

    private async Task CommitBatchAsync(List<AppendRequest> batch)
    {
        try
        {
            await CommitAsync(batch);
            _appended.Pulse();
            Committed(batch);
            batch.ForEach(r => r.Completion.TrySetResult());
        }
        catch (Exception ex) when (IsUnreachable(ex))
        {
            // The database is out of reach: trying the requests one by one, or the ones queued behind them,
            // would only wait out the same timeout again for each. Fail them all now; callers may retry.
            // Pooled connections to a hung server would each wait out a command timeout: start afresh.
            _dataSource.Clear();
            batch.ForEach(r => r.Completion.TrySetException(ex));
            while (_requests.Reader.TryRead(out var queued))
            {
                queued.Completion.TrySetException(ex);
            }
        }
        catch (Exception) when (batch.Count > 1)
        {
            foreach (var request in batch)
            {
                try
                {
                    await CommitAsync([request]);
                    _appended.Pulse();
                    Committed([request]);
                    request.Completion.TrySetResult();
                }
                catch (Exception ex)
                {
                    request.Completion.TrySetException(Translate(request.ActorId, ex));
                }
            }
        }
        catch (Exception ex)
        {
            batch[0].Completion.TrySetException(Translate(batch[0].ActorId, ex));
        }
    }

    private async Task CommitAsync(IReadOnlyList<AppendRequest> requests)
    {
        ClaimStoreMeter.CommitsInFlight.Add(1);
        using var activity = ClaimStoreActivities.StartCommit(requests.SelectMany(r => r.Callers), requests.Count);
        try
        {
            await using var connection = await _dataSource.OpenConnectionAsync();
            try
            {
                await CommitAsync(connection, requests);
            }
            catch (Exception ex) when (ex is not NpgsqlException && connection.State != System.Data.ConnectionState.Open)
            {
                // Marten reports a connection that broke under it as "Transaction is already completed".
                throw new NpgsqlException("The connection to PostgreSQL broke during the append.", ex);
            }
        }
        finally
        {
            ClaimStoreMeter.CommitsInFlight.Add(-1);
        }
    }

    // Measured once per committed transaction, not per event: cheap beside the commit itself.
    private static void Committed(IReadOnlyList<AppendRequest> requests)
    {
        long claims = 0;
        foreach (var request in requests)
        {
            claims += request.Events.Count(e => e is ClaimRecorded);
            ClaimStoreMeter.AppendDuration.Record(ClaimStoreMeter.SecondsSince(request.Requested));
        }

        if (claims > 0)
        {
            ClaimStoreMeter.ClaimsAppended.Add(claims);
            ClaimStoreMeter.ClaimsPerCommit.Record(claims);
        }
    }

    private async Task CommitAsync(NpgsqlConnection connection, IReadOnlyList<AppendRequest> requests)
    {
        if (requests.All(r => ClaimAppend.Handles(r.ExpectedVersion, r.Events)))
        {
            await _claimAppend.CommitAsync(connection, [.. requests.Select(r => (r.ActorId, r.ExpectedVersion, r.Events))]);
            return;
        }

        // The announcement to readers of the log (LogHorizon) is the first statement of Marten's batch,
        // ahead of the statements that draw the sequence numbers: one round trip for both.
        await using var transaction = await connection.BeginTransactionAsync();
        await using var session = _store.LightweightSession(SessionOptions.ForTransaction(transaction));
        session.QueueOperation(_announce);
        foreach (var request in requests)
        {
            var stored = request.Events.Select(ToStoredEvent).ToArray();
            if (request.ExpectedVersion == 0)
            {
                session.Events.StartStream(request.ActorId, stored);
            }
            else
            {
                session.Events.Append(request.ActorId, request.ExpectedVersion + stored.Length, stored);
            }
        }

        await session.SaveChangesAsync();
        await transaction.CommitAsync();
    }

    private static Exception Translate(string actorId, Exception ex) =>
        IsVersionConflict(ex) ? new StreamVersionConflictException(actorId, ex)
        : IsDuplicateEventId(ex) ? new DuplicateEventIdException(ex)
        : ex;

    private sealed record AppendRequest(
        string ActorId, long ExpectedVersion, IReadOnlyList<IActorEvent> Events, IReadOnlyList<ActivityContext> Callers)
    {
        public long Requested { get; } = Stopwatch.GetTimestamp();

        public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>
    /// The global log after <c>@after</c> up to <c>@upto</c> (a <see cref="LogHorizon"/>), at most <c>@limit</c> rows
    /// in sequence order, actor events only (Marten's tombstones and archived events skipped): <c>seq_id, type,
    /// data</c>, for readers that fold the whole log and need no event metadata.
    /// </summary>
    internal static string LogRowsAfterSql { get; } =
        $"select seq_id, type, data from {StorageTables.Events} "
        + $"where seq_id > @after and seq_id <= @upto and stream_id <> '{TombstoneStream}' and is_archived = false order by seq_id limit @limit";

    /// <summary>
    /// The rows of <see cref="LogRowsAfterSql"/> with their stream and version (<c>seq_id, stream_id, version, type, data</c>),
    /// for readers that show events as the log holds them.
    /// </summary>
    internal static string LogEnvelopesAfterSql { get; } =
        $"select seq_id, stream_id, version, type, data from {StorageTables.Events} "
        + $"where seq_id > @after and seq_id <= @upto and stream_id <> '{TombstoneStream}' and is_archived = false order by seq_id limit @limit";

    /// <summary>The rows of <see cref="LogEnvelopesAfterSql"/> whose type is one of <c>@types</c> (a text array).</summary>
    internal static string LogEnvelopesOfTypesAfterSql { get; } =
        $"select seq_id, stream_id, version, type, data from {StorageTables.Events} "
        + $"where seq_id > @after and seq_id <= @upto and type = any(@types) and stream_id <> '{TombstoneStream}' and is_archived = false order by seq_id limit @limit";

    /// <summary>
    /// The sequence of the last event of the log at or below <paramref name="sequence"/> (the numbers of an append that
    /// failed stay gaps), or null when there is none. It walks the sequence index back from there, as far as the gap.
    /// </summary>
    public async Task<long?> LogSequenceAtOrBeforeAsync(long sequence, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand(
            $"select seq_id from {StorageTables.Events} "
            + $"where seq_id <= $1 and stream_id <> '{TombstoneStream}' and is_archived = false order by seq_id desc limit 1");
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = sequence });
        return await command.ExecuteScalarAsync(cancellationToken) is long found ? found : null;
    }

    /// <summary>The proposition keys of the given claims (claim id = event id), for those recorded.</summary>
    public async Task<IReadOnlyDictionary<Guid, string>> PropositionKeysOfClaimsAsync(
        IReadOnlyCollection<Guid> claimIds, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand(
            $"select id, data -> 'claim' -> 'proposition' ->> 'subject', data -> 'claim' -> 'proposition' ->> 'predicate', "
            + $"data -> 'claim' -> 'proposition' ->> 'object' from {StorageTables.Events} where id = any($1)");
        command.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = [.. claimIds] });
        var keys = new Dictionary<Guid, string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            if (!reader.IsDBNull(1) && !reader.IsDBNull(2))
            {
                keys[reader.GetGuid(0)] = new Proposition(reader.GetString(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3)).Key;
            }
        }

        return keys;
    }

    /// <summary>
    /// Announces the append (<see cref="LogHorizon.AnnounceSql(int)"/>) as the first statement of Marten's batch.
    /// </summary>
    /// <remarks>
    /// Marten keeps operations on <see cref="IEvent"/> in the order they were queued and sends them ahead
    /// of every other operation; queued before the appends, this one precedes the quick-append statements
    /// (<c>mt_quick_append_events</c>), which draw the sequence numbers only when the batch runs. Its one
    /// row is skipped: Marten moves to the next result after <see cref="PostprocessAsync"/>.
    /// </remarks>
    private sealed class AnnounceOperation(string sql) : Marten.Internal.Operations.IStorageOperation
    {
        public Type DocumentType => typeof(IEvent);

        public void ConfigureCommand(Weasel.Postgresql.ICommandBuilder builder, IStorageSession session) => builder.Append(sql);

        public Task PostprocessAsync(DbDataReader reader, IList<Exception> exceptions, CancellationToken token) => Task.CompletedTask;

        public OperationRole Role() => OperationRole.Other;
    }

    /// <summary>The actor stream that holds each of <paramref name="eventIds"/>, where one does.</summary>
    public async Task<IReadOnlyDictionary<Guid, string>> FindStreamsOfEventsAsync(
        IReadOnlyCollection<Guid> eventIds, CancellationToken cancellationToken = default)
    {
        await using var session = _store.QuerySession();
        var found = await session.Events.QueryAllRawEvents()
            .Where(e => e.Id.IsOneOf(eventIds.ToArray()))
            .Select(e => new { e.Id, e.StreamKey })
            .ToListAsync(cancellationToken);
        return found.ToDictionary(e => e.Id, e => e.StreamKey!);
    }

    /// <summary>
    /// The store id of an event. A claim's event id is its claim id, and a retraction's is derived
    /// from it, so the unique index on event ids makes a second append of either impossible.
    /// </summary>
    public static Guid EventIdOf(IActorEvent @event) => @event switch
    {
        ClaimRecorded e => e.ClaimId,
        ClaimRetracted e => RetractionIdOf(e.ClaimId),
        _ => Guid.NewGuid(),
    };

    /// <summary>The store id of the retraction of claim <paramref name="claimId"/>, were it retracted.</summary>
    public static Guid RetractionIdOf(Guid claimId) => DeriveId(claimId, "retracted");

    private static IEvent ToStoredEvent(IActorEvent @event)
    {
        IEvent wrapped = @event switch
        {
            ActorRegistered e => new Event<ActorRegistered>(e),
            ActorProfileChanged e => new Event<ActorProfileChanged>(e),
            ClaimRecorded e => new Event<ClaimRecorded>(e),
            ClaimRetracted e => new Event<ClaimRetracted>(e),
            ActorErased e => new Event<ActorErased>(e),
            _ => throw new ArgumentOutOfRangeException(nameof(@event), @event.GetType().Name, "Not an actor event."),
        };
        wrapped.Id = EventIdOf(@event);
        return wrapped;
    }

    private static Guid DeriveId(Guid claimId, string purpose)
    {
        Span<byte> input = stackalloc byte[16 + 32];
        claimId.TryWriteBytes(input);
        var length = 16 + System.Text.Encoding.UTF8.GetBytes(purpose, input[16..]);
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(input[..length], hash);
        hash[6] = (byte)((hash[6] & 0x0F) | 0x80); // version 8: a name-based, application-defined id
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash[..16]);
    }

    private static bool IsVersionConflict(Exception ex) =>
        ex is EventStreamUnexpectedMaxEventIdException or JasperFx.Events.ExistingStreamIdCollisionException or Marten.Exceptions.ExistingStreamIdCollisionException
        || ex.InnerException is not null && IsVersionConflict(ex.InnerException);

    // Not reached, or reached and lost: the server did not refuse this append, it never decided on it.
    private static bool IsUnreachable(Exception ex) => !IsVersionConflict(ex) && !IsDuplicateEventId(ex) && IsConnectionFailure(ex);

    private static bool IsConnectionFailure(Exception ex) => ex switch
    {
        // 08: connection exception; 57P: the server is shutting down or was told to end this session.
        PostgresException pg => pg.SqlState.StartsWith("08", StringComparison.Ordinal) || pg.SqlState.StartsWith("57P", StringComparison.Ordinal),
        NpgsqlException or TimeoutException or IOException or System.Net.Sockets.SocketException => true,
        _ => ex.InnerException is { } inner && IsConnectionFailure(inner),
    };

    private static bool IsDuplicateEventId(Exception ex) =>
        ex is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation } pg
            && (pg.ConstraintName?.Contains("event_id", StringComparison.OrdinalIgnoreCase) ?? false)
        || ex.InnerException is not null && IsDuplicateEventId(ex.InnerException);
}

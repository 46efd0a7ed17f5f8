using System.Security.Cryptography;
using ClaimStore.Domain.Actors;
using ClaimStore.Domain.Claims;
using JasperFx.Events;
using Marten;
using Marten.Exceptions;
using Marten.Services;
using Npgsql;

namespace ClaimStore.Grains.Storage;

/// <summary>The stream was appended to by someone else since it was read: reload and decide again.</summary>
public sealed class StreamVersionConflictException(string actorId, Exception inner)
    : Exception($"The stream of actor '{actorId}' moved on while appending.", inner);

/// <summary>An event id, and so a claim id, is stored already (in this stream or another one).</summary>
public sealed class DuplicateEventIdException(Exception inner)
    : Exception("An event with the same id is stored already.", inner);

/// <summary>
/// Reads and appends actor streams in Marten. Used only by <c>ActorGrain</c>, the single
/// writer of each stream; optimistic concurrency on the stream version is the backstop.
/// </summary>
public sealed class ActorStreams(IDocumentStore store, NpgsqlDataSource dataSource)
{
    // Every append transaction takes this lock before it draws sequence numbers and holds it
    // until commit, so global sequence order is commit order: a reader of the event feed who
    // has seen sequence n can never later find a committed event below n.
    private const long AppendLockKey = 0x436C61696D53; // "ClaimS"

    /// <summary>Folds the events after <paramref name="state"/>'s version into it.</summary>
    public async Task<ActorState> CatchUpAsync(ActorState state, CancellationToken cancellationToken = default)
    {
        await using var session = store.QuerySession();
        var events = await session.Events.FetchStreamAsync(
            state.ActorId, fromVersion: state.Version + 1, token: cancellationToken);
        return ActorDecider.Fold(state, events.Select(e => (IActorEvent)e.Data));
    }

    /// <summary>
    /// Appends <paramref name="events"/> if the stream is still at <paramref name="expectedVersion"/>,
    /// in one transaction that commits before this returns.
    /// </summary>
    public async Task AppendAsync(
        string actorId, long expectedVersion, IReadOnlyList<IActorEvent> events, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await BeginAppendTransactionAsync(connection, cancellationToken);
        await using var session = store.LightweightSession(SessionOptions.ForTransaction(transaction));
        var stored = events.Select(ToStoredEvent).ToArray();
        if (expectedVersion == 0)
        {
            session.Events.StartStream(actorId, stored);
        }
        else
        {
            session.Events.Append(actorId, expectedVersion + stored.Length, stored);
        }

        try
        {
            await session.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        catch (Exception ex) when (IsVersionConflict(ex))
        {
            throw new StreamVersionConflictException(actorId, ex);
        }
        catch (Exception ex) when (IsDuplicateEventId(ex))
        {
            throw new DuplicateEventIdException(ex);
        }
    }

    /// <summary>
    /// A transaction holding the append lock until it ends: no append commits meanwhile, and all
    /// sequence numbers drawn in it follow every committed one.
    /// </summary>
    public static async Task<NpgsqlTransaction> BeginAppendTransactionAsync(
        NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var lockCommand = new NpgsqlCommand("select pg_advisory_xact_lock(@key)", connection, transaction);
        lockCommand.Parameters.AddWithValue("key", AppendLockKey);
        await lockCommand.ExecuteNonQueryAsync(cancellationToken);
        return transaction;
    }

    /// <summary>The actor stream that holds each of <paramref name="eventIds"/>, where one does.</summary>
    public async Task<IReadOnlyDictionary<Guid, string>> FindStreamsOfEventsAsync(
        IReadOnlyCollection<Guid> eventIds, CancellationToken cancellationToken = default)
    {
        await using var session = store.QuerySession();
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
        ClaimRetracted e => DeriveId(e.ClaimId, "retracted"),
        _ => Guid.NewGuid(),
    };

    private static IEvent ToStoredEvent(IActorEvent @event)
    {
        IEvent wrapped = @event switch
        {
            ActorRegistered e => new Event<ActorRegistered>(e),
            ActorProfileChanged e => new Event<ActorProfileChanged>(e),
            ClaimRecorded e => new Event<ClaimRecorded>(e),
            ClaimRetracted e => new Event<ClaimRetracted>(e),
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

    private static bool IsDuplicateEventId(Exception ex) =>
        ex is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation } pg
            && (pg.ConstraintName?.Contains("event_id", StringComparison.OrdinalIgnoreCase) ?? false)
        || ex.InnerException is not null && IsDuplicateEventId(ex.InnerException);
}

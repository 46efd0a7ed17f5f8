using System.Runtime.CompilerServices;
using ClaimStore.Domain.Actors;
using Marten;
using Npgsql;

namespace ClaimStore.Storage;

/// <summary>
/// The global log as readers outside storage see it: its head, its horizon (<see cref="LogHorizon"/>), pages of events
/// after a sequence, and one actor's stream. Each call opens and closes its own connection.
/// </summary>
public sealed class EventLog(IDocumentStore store, NpgsqlDataSource database)
{
    private readonly EventLogReader _all = new(store, _ => true);

    /// <summary>The type names of every event the store knows, in ordinal order.</summary>
    public IReadOnlyList<string> KnownTypes { get; } =
        [.. store.Options.Events.AllKnownEventTypes().Select(t => t.EventTypeName).Order(StringComparer.Ordinal)];

    /// <summary>A reader of the log that turns only the events of the types <paramref name="wanted"/> accepts into objects.</summary>
    public EventLogReader Reader(Func<Type, bool> wanted) => new(store, wanted);

    /// <summary>The last sequence handed out in the log.</summary>
    public Task<long> HeadAsync(CancellationToken cancellationToken) => LogHorizon.HeadAsync(database, cancellationToken);

    /// <summary>The log's horizon now: no event at or below it commits later.</summary>
    public async Task<long> HorizonAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        return (await LogHorizon.ReadAsync(connection, cancellationToken)).Horizon;
    }

    /// <summary>The horizon once it has passed the head read now, or after <paramref name="maxWait"/> whatever it is then.</summary>
    public async Task<long> HorizonPastHeadAsync(TimeSpan maxWait, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        return (await LogHorizon.ReadPastHeadAsync(connection, maxWait, cancellationToken)).Horizon;
    }

    /// <summary>Up to <paramref name="limit"/> events after <paramref name="after"/> up to the horizon now, and that horizon.</summary>
    public async Task<(List<LoggedEvent> Events, long Horizon)> PageAsync(long after, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var (horizon, _) = await LogHorizon.ReadAsync(connection, cancellationToken);
        return (await _all.ReadEnvelopesAsync(connection, after, horizon, limit, cancellationToken), horizon);
    }

    /// <summary>
    /// Events after <paramref name="after"/> and at or below <paramref name="upTo"/>, read as they are enumerated (a long
    /// page holds none in memory); with <paramref name="types"/>, only events of those type names.
    /// </summary>
    public async IAsyncEnumerable<LoggedEvent> StreamAsync(
        long after, long upTo, int limit, IReadOnlyList<string>? types, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await foreach (var row in _all.StreamEnvelopesAsync(connection, after, upTo, limit, types, cancellationToken))
        {
            yield return row;
        }
    }

    /// <summary>
    /// An actor's events from <paramref name="fromVersion"/> on, in stream order; null when the stream does not exist.
    /// Marten reads them with their types, so every <see cref="LoggedEvent.Event"/> here is set.
    /// </summary>
    public async Task<IReadOnlyList<LoggedEvent>?> ReadStreamAsync(string actorId, long fromVersion, CancellationToken cancellationToken)
    {
        await using var session = store.QuerySession();
        var events = await session.Events.FetchStreamAsync(actorId, fromVersion: fromVersion, token: cancellationToken);
        // No events from the first version on means no stream; past its end, the stream may still exist.
        if (events.Count == 0 && (fromVersion <= 1 || await session.Events.FetchStreamStateAsync(actorId, cancellationToken) is null))
        {
            return null;
        }

        return [.. events.Select(e => new LoggedEvent(e.Sequence, actorId, e.Version, e.EventTypeName, (IActorEvent)e.Data))];
    }
}

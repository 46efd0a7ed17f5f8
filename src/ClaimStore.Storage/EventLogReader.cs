using System.Runtime.CompilerServices;
using ClaimStore.Domain.Actors;
using Marten;
using Npgsql;

namespace ClaimStore.Storage;

/// <summary>
/// Reads the rows <see cref="ActorStreams.LogRowsAfterSql"/> selects (sequence after the cursor up to a
/// <see cref="LogHorizon"/>, Marten's tombstones and archived events skipped, in sequence order) straight through Npgsql, and turns only
/// the events a reader wants into objects with Marten's own serializer and event type names. Marten's
/// event query builds an <c>IEvent</c> with its metadata for every row; folding a million events
/// spent most of its time there.
/// </summary>
public sealed class EventLogReader(IDocumentStore store, Func<Type, bool> wanted)
{
    private readonly Marten.ISerializer _serializer = store.Options.Serializer();
    private readonly Dictionary<string, Type> _types = store.Options.Events.AllKnownEventTypes()
        .ToDictionary(t => t.EventTypeName, t => t.EventType, StringComparer.Ordinal);

    /// <summary>
    /// Up to <paramref name="limit"/> events after <paramref name="after"/> and at or below <paramref name="upTo"/>; an event of a type the reader
    /// does not want comes back with a null event, so the caller still sees its sequence.
    /// </summary>
    public async Task<List<(long Sequence, IActorEvent? Event)>> ReadAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, long after, long upTo, int limit, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(ActorStreams.LogRowsAfterSql, connection, transaction);
        command.Parameters.AddWithValue("after", after);
        command.Parameters.AddWithValue("upto", upTo);
        command.Parameters.AddWithValue("limit", limit);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var events = new List<(long, IActorEvent?)>(limit);
        while (await reader.ReadAsync(cancellationToken))
        {
            var sequence = reader.GetInt64(0);
            var type = _types.TryGetValue(reader.GetString(1), out var known) ? known : null;
            events.Add((sequence, type is not null && wanted(type) ? (IActorEvent)_serializer.FromJson(type, reader, 2) : null));
        }

        return events;
    }

    /// <summary>How a projector reads the log with this reader: on its round's connection, <paramref name="limit"/> events at a time.</summary>
    public LogRead ReadIn(int limit, CancellationToken cancellationToken) =>
        async (connection, transaction, after, upTo) => await ReadAsync(connection, transaction, after, upTo, limit, cancellationToken);

    /// <summary>
    /// Up to <paramref name="limit"/> events after <paramref name="after"/> and at or below <paramref name="upTo"/>, with their
    /// actor, version and type name; an event of a type this build does not know comes back with a null event.
    /// </summary>
    public async Task<List<LoggedEvent>> ReadEnvelopesAsync(
        NpgsqlConnection connection, long after, long upTo, int limit, CancellationToken cancellationToken)
    {
        var events = new List<LoggedEvent>();
        await foreach (var e in StreamEnvelopesAsync(connection, after, upTo, limit, types: null, cancellationToken))
        {
            events.Add(e);
        }

        return events;
    }

    /// <summary>
    /// The events of <see cref="ReadEnvelopesAsync"/>, one at a time as PostgreSQL sends them (a long page holds none
    /// in memory); with <paramref name="types"/>, only events of those type names, up to <paramref name="limit"/> of them.
    /// </summary>
    public async IAsyncEnumerable<LoggedEvent> StreamEnvelopesAsync(
        NpgsqlConnection connection, long after, long upTo, int limit, IReadOnlyList<string>? types,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(types is null ? ActorStreams.LogEnvelopesAfterSql : ActorStreams.LogEnvelopesOfTypesAfterSql, connection);
        if (types is not null)
        {
            command.Parameters.Add(new NpgsqlParameter<string[]>("types", [.. types]));
        }

        command.Parameters.AddWithValue("after", after);
        command.Parameters.AddWithValue("upto", upTo);
        command.Parameters.AddWithValue("limit", limit);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var typeName = reader.GetString(3);
            var type = _types.TryGetValue(typeName, out var known) && wanted(known) ? known : null;
            yield return new LoggedEvent(
                reader.GetInt64(0), reader.GetString(1), reader.GetInt64(2), typeName,
                type is null ? null : (IActorEvent)_serializer.FromJson(type, reader, 4));
        }
    }

    /// <summary>A connection of the store's database, opened.</summary>
    public static async Task<NpgsqlConnection> OpenAsync(IDocumentStore store, CancellationToken cancellationToken)
    {
        var connection = store.Storage.Database.CreateConnection();
        await connection.OpenAsync(cancellationToken);
        return connection;
    }
}

/// <summary>One row of the global log: its sequence, actor stream, version in that stream, type name and event.</summary>
public sealed record LoggedEvent(long Sequence, string ActorId, long Version, string Type, IActorEvent? Event);

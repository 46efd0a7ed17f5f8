using System.Buffers;
using ClaimStore.Domain.Actors;
using ClaimStore.Domain.Claims;
using Marten;
using Npgsql;
using NpgsqlTypes;

namespace ClaimStore.Storage;

/// <summary>
/// Appends recorded claims to existing actor streams, for any number of streams, in two set-based
/// statements (decision 0010): one moves every stream's row to its new version, one inserts every
/// event. The rows are the ones Marten's quick append writes: the same columns, type names and JSON,
/// sequence numbers drawn in each stream's version order; Marten reads them back as its own. Marten's
/// function takes one call per stream and one INSERT per event.
/// </summary>
/// <remarks>
/// A stream row moves only if it is still at the expected version (and not archived). A stream that
/// did not move, or whose next version is taken, is a conflict: the caller gets
/// <see cref="StreamVersionConflictException"/> and the transaction is rolled back, so nothing of it
/// stays. A claim id stored already fails the insert on Marten's unique index on event ids, as it
/// does for Marten's own append.
/// </remarks>
public sealed class ClaimAppend
{
    // Marten's primary key of an event: its stream and its version in it.
    private const string StreamVersionIndex = "pk_mt_events_stream_and_version";

    // For the rest of the transaction. The move's custom plan, which PostgreSQL would otherwise make
    // again for every call, is the generic one (the primary key) and costs as much to plan as to run.
    private const string GenericPlansSql = "select set_config('plan_cache_mode', 'force_generic_plan', true)";

    private readonly string _announceSql;
    private readonly string _moveSql;
    private readonly string _insertSql;
    private readonly ISerializer _serializer;
    private readonly string _typeName;
    private readonly string _dotNetTypeName;

    public ClaimAppend(IDocumentStore store, string announceSql)
    {
        var mapping = ((DocumentStore)store).Events.EventMappingFor(typeof(ClaimRecorded));
        _typeName = mapping.EventTypeName;
        _dotNetTypeName = mapping.DotNetTypeName;
        _serializer = store.Options.Serializer();
        _announceSql = announceSql;
        // Streams are looked up with "= any", which PostgreSQL's generic plan serves from the primary key;
        // a join with the unnested arrays would be planned as a scan of every stream.
        _moveSql = $"update {StorageTables.Streams} s set version = s.version + (@added)[array_position(@streams, s.id)], timestamp = now() "
            + "where s.id = any(@streams) and s.version = (@expected)[array_position(@streams, s.id)] and not s.is_archived";
        // The numbers are drawn in the order of the arrays, which is each stream's version order.
        _insertSql = $"insert into {StorageTables.Events} (seq_id, id, stream_id, version, data, type, tenant_id, timestamp, mt_dotnet_type, is_archived) "
            + $"select nextval('{StorageTables.EventSequence}'), e.id, e.stream_id, e.version, e.data, @type, '*DEFAULT*', now(), @dotnet_type, false "
            + "from unnest(@ids, @event_streams, @versions, @data) with ordinality as e(id, stream_id, version, data, n) order by e.n";
    }

    /// <summary>Whether an append of <paramref name="events"/> at <paramref name="expectedVersion"/> can go this way.</summary>
    public static bool Handles(long expectedVersion, IReadOnlyList<IActorEvent> events) =>
        expectedVersion > 0 && events.Count > 0 && events.All(e => e is ClaimRecorded);

    /// <summary>
    /// Appends every request in one transaction on <paramref name="connection"/> and commits it.
    /// Each request is one stream, at most once, whose events all pass <see cref="Handles"/>.
    /// </summary>
    /// <exception cref="StreamVersionConflictException">A stream was not at its expected version; nothing was stored.</exception>
    public async Task CommitAsync(
        NpgsqlConnection connection, IReadOnlyList<(string ActorId, long ExpectedVersion, IReadOnlyList<IActorEvent> Events)> requests)
    {
        var total = requests.Sum(r => r.Events.Count);
        var streams = new string[requests.Count];
        var expected = new long[requests.Count];
        var added = new long[requests.Count];
        var ids = new Guid[total];
        var eventStreams = new string[total];
        var versions = new long[total];
        // UTF-8 straight from the serializer, as Marten binds its own JSON parameters: a string would be
        // transcoded from UTF-8 and back again on the way to the socket.
        var data = new byte[total][];
        var json = new ArrayBufferWriter<byte>(1024);
        var next = 0;
        for (var i = 0; i < requests.Count; i++)
        {
            var (actorId, expectedVersion, events) = requests[i];
            streams[i] = actorId;
            expected[i] = expectedVersion;
            added[i] = events.Count;
            for (var j = 0; j < events.Count; j++, next++)
            {
                ids[next] = ActorStreams.EventIdOf(events[j]);
                eventStreams[next] = actorId;
                versions[next] = expectedVersion + j + 1;
                json.ResetWrittenCount();
                _serializer.WriteTo(json, events[j]);
                data[next] = json.WrittenSpan.ToArray();
            }
        }

        await using var transaction = await connection.BeginTransactionAsync();
        // One round trip: the announcement (LogHorizon) first, so no number is drawn before it.
        var move = new NpgsqlBatchCommand(_moveSql)
        {
            Parameters =
            {
                new NpgsqlParameter<string[]>("streams", NpgsqlDbType.Array | NpgsqlDbType.Varchar) { TypedValue = streams },
                new NpgsqlParameter<long[]>("expected", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { TypedValue = expected },
                new NpgsqlParameter<long[]>("added", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { TypedValue = added },
            },
        };
        var insert = new NpgsqlBatchCommand(_insertSql)
        {
            Parameters =
            {
                new NpgsqlParameter<Guid[]>("ids", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { TypedValue = ids },
                new NpgsqlParameter<string[]>("event_streams", NpgsqlDbType.Array | NpgsqlDbType.Varchar) { TypedValue = eventStreams },
                new NpgsqlParameter<long[]>("versions", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { TypedValue = versions },
                new NpgsqlParameter<byte[][]>("data", NpgsqlDbType.Array | NpgsqlDbType.Jsonb) { TypedValue = data },
                new NpgsqlParameter<string>("type", NpgsqlDbType.Varchar) { TypedValue = _typeName },
                new NpgsqlParameter<string>("dotnet_type", NpgsqlDbType.Varchar) { TypedValue = _dotNetTypeName },
            },
        };
        await using var batch = new NpgsqlBatch(connection, transaction)
        {
            BatchCommands = { new NpgsqlBatchCommand(_announceSql), new NpgsqlBatchCommand(GenericPlansSql), move, insert },
        };
        try
        {
            await batch.ExecuteNonQueryAsync();
        }
        catch (PostgresException ex) when (ex is { SqlState: PostgresErrorCodes.UniqueViolation, ConstraintName: StreamVersionIndex })
        {
            // A stream moved on: its next version is taken.
            throw new StreamVersionConflictException(Conflicting(streams), ex);
        }

        if (move.RecordsAffected != streams.Length)
        {
            // Not at the expected version (or archived). Rolled back when the transaction is disposed uncommitted.
            throw new StreamVersionConflictException(Conflicting(streams));
        }

        await transaction.CommitAsync();
    }

    // With one stream, that stream conflicted; with several, the caller tries each alone to find out which.
    private static string Conflicting(string[] streams) =>
        streams.Length == 1 ? streams[0] : "one of " + string.Join(", ", streams);
}

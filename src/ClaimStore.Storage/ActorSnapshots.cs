using System.Data;
using ClaimStore.Domain.Actors;
using ClaimStore.Domain.Compact;
using Npgsql;
using NpgsqlTypes;
using Orleans.Serialization;
using Weasel.Postgresql.Tables;

namespace ClaimStore.Storage;

/// <summary>The head of an actor's snapshot: everything but the claims, which are stored in segments.</summary>
[GenerateSerializer, Immutable]
public sealed record ActorStateSnapshot(
    [property: Id(0)] string ActorId,
    [property: Id(1)] ActorProfile? Profile,
    [property: Id(2)] long Version,
    [property: Id(3)] DateTimeOffset LastRecordedAt,
    [property: Id(4)] int ClaimCount,
    [property: Id(5)] int SegmentCount)
{
    public static ActorStateSnapshot Of(ActorState state) => state.IsWhole
        ? new(state.ActorId, state.Profile, state.Version, state.LastRecordedAt, state.Claims.Count, state.Claims.ChunkCount)
        : throw new InvalidOperationException($"Only a whole state is a snapshot; '{state.ActorId}' rests.");
}

/// <summary>
/// Snapshots of actor state, so that an actor with many claims activates by reading its snapshot
/// and the few events after it instead of its whole stream. One row per actor holds the head
/// (segment -1, Orleans-serialized) and one row per chunk of <see cref="ClaimLedger.ChunkSize"/>
/// claims holds that chunk's bytes. A full chunk never changes unless one of its claims is
/// retracted, so a new snapshot writes the head, the last chunk and only the chunks that changed
/// since the previous one. Derived data: a missing, stale or unreadable snapshot only costs a
/// longer activation, and the events stay the truth.
/// </summary>
public sealed class ActorSnapshots(NpgsqlDataSource dataSource, Serializer<ActorStateSnapshot> serializer)
{
    public const string TableName = StorageTables.ActorSnapshotSegmentsName;

    // Bumped whenever the head, the segment encoding or ClaimLedger's slots change shape:
    // older rows are then ignored. (Format 1 was a single row per actor in claimstore.actor_snapshots.)
    public const int Format = 2;

    private const int Head = -1;

    // First key of the snapshot writers' advisory locks ("ASNP").
    internal const int LockSpace = 0x41534E50;

    /// <summary>
    /// Activation replays at most this many events after the snapshot. Each snapshot writes the
    /// head, the last chunk (at most 64 KiB) and changed chunks, so about 130 bytes per event plus
    /// one chunk per retraction in an older chunk, however long the stream grows.
    /// </summary>
    public const int Distance = 500;

    /// <summary>
    /// Snapshots this host writes at once. Every actor of an import comes due at about the same moment; unbounded, their
    /// saves took all of the pool's connections and the appends waiting behind them timed out (503).
    /// </summary>
    public const int ConcurrentSaves = 2;

    private const string Qualified = StorageTables.ActorSnapshotSegments;

    private readonly SemaphoreSlim _saving = new(ConcurrentSaves, ConcurrentSaves);

    public static bool IsDue(long version, long snapshotVersion) => version - snapshotVersion >= Distance;

    public static Table Table()
    {
        var table = new Table(Qualified);
        table.AddColumn<string>("actor_id").AsPrimaryKey();
        table.AddColumn<int>("segment").AsPrimaryKey();
        table.AddColumn<long>("version").NotNull();
        table.AddColumn<int>("format").NotNull();
        table.AddColumn("data", "bytea").NotNull();
        return table;
    }

    /// <summary>The latest usable snapshot of the actor, if any.</summary>
    /// <exception cref="InvalidDataException">The stored snapshot is inconsistent.</exception>
    public async Task<ActorState?> LoadAsync(string actorId, CancellationToken cancellationToken)
    {
        // One statement, so the head and its segments come from one database snapshot.
        await using var command = dataSource.CreateCommand(
            $"select segment, format, data from {Qualified} where actor_id = @actor order by segment");
        command.Parameters.AddWithValue("actor", actorId);
        ActorStateSnapshot? head = null;
        var segments = new List<byte[]>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var (segment, format) = (reader.GetInt32(0), reader.GetInt32(1));
                if (format != Format)
                {
                    return null;
                }

                var data = reader.GetFieldValue<byte[]>(2);
                if (segment == Head)
                {
                    head = serializer.Deserialize(data);
                }
                else if (segment == segments.Count)
                {
                    segments.Add(data);
                }
            }
        }

        if (head is null || head.ActorId != actorId || segments.Count < head.SegmentCount)
        {
            return null;
        }

        var claims = ClaimLedger.Decode(actorId, segments[..head.SegmentCount], head.Version);
        return claims.Count == head.ClaimCount
            ? new ActorState(actorId, head.Profile, head.Version, head.LastRecordedAt, claims)
            : throw new InvalidDataException($"Snapshot of {actorId} holds {claims.Count} claims, its head says {head.ClaimCount}.");
    }

    /// <summary>
    /// Drops the snapshots of <paramref name="actorIds"/> inside the caller's transaction, under each actor's
    /// snapshot lock, in this format and the first one: an erasure rewrote their events, and the next activation
    /// folds those instead (decision 0015).
    /// </summary>
    public static async Task DeleteAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyCollection<string> actorIds, CancellationToken cancellationToken)
    {
        const string FirstFormat = StorageTables.ActorSnapshotsFirstFormat;
        await using var command = new NpgsqlCommand(
            $"""
            select pg_advisory_xact_lock(@space, hashtext(a)) from unnest(@actors) a order by a;
            delete from {Qualified} where actor_id = any(@actors);
            """, connection, transaction);
        command.Parameters.AddWithValue("space", LockSpace);
        command.Parameters.Add(new NpgsqlParameter<string[]>("actors", [.. actorIds]));
        await command.ExecuteNonQueryAsync(cancellationToken);

        await using var old = new NpgsqlCommand($"select to_regclass('{FirstFormat}') is not null", connection, transaction);
        if (await old.ExecuteScalarAsync(cancellationToken) is true)
        {
            await using var delete = new NpgsqlCommand($"delete from {FirstFormat} where actor_id = any(@actors)", connection, transaction);
            delete.Parameters.Add(new NpgsqlParameter<string[]>("actors", [.. actorIds]));
            await delete.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    /// <summary>
    /// Stores a snapshot of <paramref name="state"/> unless a newer one is there already, writing only
    /// the segments that differ from <paramref name="stored"/> (the state this grain last loaded or saved).
    /// </summary>
    /// <returns>Whether this snapshot was stored.</returns>
    public async Task<bool> SaveAsync(ActorState state, ActorState? stored, CancellationToken cancellationToken)
    {
        await _saving.WaitAsync(cancellationToken);
        try
        {
            return await SaveNowAsync(state, stored, cancellationToken);
        }
        finally
        {
            _saving.Release();
        }
    }

    /// <summary>
    /// Loads the state to save with <paramref name="load"/> (the latest snapshot and the whole state) once it is
    /// this host's turn to write, and saves it: a grain that rests holds its whole state only for its turn, not
    /// while it waits (an even load brings every actor's snapshot due at about the same moment).
    /// </summary>
    /// <returns>The state loaded, and the state the stored snapshot now holds.</returns>
    public async Task<(ActorState State, ActorState? Stored)> LoadAndSaveAsync(
        Func<CancellationToken, Task<(ActorState? Snapshot, ActorState Whole)>> load, CancellationToken cancellationToken)
    {
        await _saving.WaitAsync(cancellationToken);
        try
        {
            var (snapshot, whole) = await load(cancellationToken);
            return (whole, await SaveNowAsync(whole, snapshot, cancellationToken) ? whole : snapshot);
        }
        finally
        {
            _saving.Release();
        }
    }

    private async Task<bool> SaveNowAsync(ActorState state, ActorState? stored, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken);
        // Two activations of one actor (during a partition) save one after the other. The two-key form
        // of the lock lives in another key space than the single-key append and schema locks.
        await using (var takeLock = new NpgsqlCommand(
            "select pg_advisory_xact_lock(@space, hashtext(@actor))", connection, transaction))
        {
            takeLock.Parameters.AddWithValue("space", LockSpace);
            takeLock.Parameters.AddWithValue("actor", state.ActorId);
            await takeLock.ExecuteNonQueryAsync(cancellationToken);
        }

        long? storedVersion = null;
        int? storedFormat = null;
        await using (var current = new NpgsqlCommand(
            $"select version, format from {Qualified} where actor_id = @actor and segment = {Head}", connection, transaction))
        {
            current.Parameters.AddWithValue("actor", state.ActorId);
            await using var reader = await current.ExecuteReaderAsync(cancellationToken);
            if (await reader.ReadAsync(cancellationToken))
            {
                (storedVersion, storedFormat) = (reader.GetInt64(0), reader.GetInt32(1));
            }
        }

        if (storedFormat == Format && storedVersion >= state.Version)
        {
            return false;
        }

        // Only a head this grain wrote (or read) itself vouches for the segments it did not rewrite.
        var reuse = storedFormat == Format && storedVersion == stored?.Version ? stored?.Claims : null;
        var segments = state.Claims.ChunkCount;
        var batch = new NpgsqlBatch(connection, transaction);
        await using (batch)
        {
            Upsert(batch, state, Head, serializer.SerializeToArray(ActorStateSnapshot.Of(state)));
            for (var segment = 0; segment < segments; segment++)
            {
                if (!state.Claims.SharesSegmentWith(reuse, segment))
                {
                    Upsert(batch, state, segment, state.Claims.EncodeSegment(segment));
                }
            }

            await batch.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    /// <summary>Drops every snapshot (a rebuild of the read models starts from the events alone).</summary>
    public static async Task DeleteAllAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"delete from {Qualified}");
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static void Upsert(NpgsqlBatch batch, ActorState state, int segment, byte[] data)
    {
        var command = new NpgsqlBatchCommand(
            $"""
            insert into {Qualified} (actor_id, segment, version, format, data)
            values (@actor, @segment, @version, @format, @data)
            on conflict (actor_id, segment) do update
            set version = excluded.version, format = excluded.format, data = excluded.data
            """);
        command.Parameters.AddWithValue("actor", state.ActorId);
        command.Parameters.AddWithValue("segment", segment);
        command.Parameters.AddWithValue("version", state.Version);
        command.Parameters.AddWithValue("format", Format);
        command.Parameters.Add(new NpgsqlParameter("data", NpgsqlDbType.Bytea) { Value = data });
        batch.BatchCommands.Add(command);
    }
}

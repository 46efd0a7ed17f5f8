using System.Collections.Immutable;
using ClaimStore.Domain.Actors;
using ClaimStore.Domain.Claims;
using Npgsql;
using NpgsqlTypes;
using Orleans.Serialization;
using Weasel.Postgresql.Tables;

namespace ClaimStore.Grains.Storage;

/// <summary>An actor's folded state at one stream version, in the form it is stored.</summary>
[GenerateSerializer, Immutable]
public sealed record ActorStateSnapshot(
    [property: Id(0)] string ActorId,
    [property: Id(1)] ActorProfile? Profile,
    [property: Id(2)] long Version,
    [property: Id(3)] DateTimeOffset LastRecordedAt,
    [property: Id(4)] ClaimEntry[] Claims)
{
    public static ActorStateSnapshot Of(ActorState state) =>
        new(state.ActorId, state.Profile, state.Version, state.LastRecordedAt, [.. state.Claims]);

    public ActorState ToState()
    {
        var index = ImmutableDictionary.CreateBuilder<Guid, int>();
        for (var i = 0; i < Claims.Length; i++)
        {
            index[Claims[i].ClaimId] = i;
        }

        return new ActorState(ActorId, Profile, Version, LastRecordedAt, [.. Claims], index.ToImmutable());
    }
}

/// <summary>
/// Snapshots of actor state, so that an actor with many claims activates by reading one row and
/// the events after it instead of its whole stream. Derived data: a missing, stale or unreadable
/// snapshot only costs a longer activation, and the events stay the truth.
/// </summary>
public sealed class ActorSnapshots(NpgsqlDataSource dataSource, Serializer<ActorStateSnapshot> serializer)
{
    public const string TableName = "actor_snapshots";

    // Bumped whenever ActorStateSnapshot or ClaimEntry change shape: older rows are then ignored.
    public const int Format = 1;

    // Snapshot once the events since the last one reach a quarter of the stream (at least 500):
    // the bytes written per event stay bounded however long the stream grows.
    public static bool IsDue(long version, long snapshotVersion) =>
        version - snapshotVersion >= Math.Max(500, snapshotVersion / 4);

    public static Table Table()
    {
        var table = new Table($"{StorageServiceCollectionExtensions.SchemaName}.{TableName}");
        table.AddColumn<string>("actor_id").AsPrimaryKey();
        table.AddColumn<long>("version").NotNull();
        table.AddColumn<int>("format").NotNull();
        table.AddColumn("data", "bytea").NotNull();
        return table;
    }

    /// <summary>The latest usable snapshot of the actor, if any.</summary>
    public async Task<ActorState?> LoadAsync(string actorId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            $"select data from {StorageServiceCollectionExtensions.SchemaName}.{TableName} where actor_id = @actor and format = @format");
        command.Parameters.AddWithValue("actor", actorId);
        command.Parameters.AddWithValue("format", Format);
        if (await command.ExecuteScalarAsync(cancellationToken) is not byte[] data)
        {
            return null;
        }

        var snapshot = serializer.Deserialize(data);
        return snapshot is not null && snapshot.ActorId == actorId ? snapshot.ToState() : null;
    }

    /// <summary>Stores the snapshot unless a newer one is there already.</summary>
    public async Task SaveAsync(ActorState state, CancellationToken cancellationToken)
    {
        var data = serializer.SerializeToArray(ActorStateSnapshot.Of(state));
        await using var command = dataSource.CreateCommand(
            $"""
            insert into {StorageServiceCollectionExtensions.SchemaName}.{TableName} (actor_id, version, format, data)
            values (@actor, @version, @format, @data)
            on conflict (actor_id) do update set version = excluded.version, format = excluded.format, data = excluded.data
            where {TableName}.version < excluded.version or {TableName}.format <> excluded.format
            """);
        command.Parameters.AddWithValue("actor", state.ActorId);
        command.Parameters.AddWithValue("version", state.Version);
        command.Parameters.AddWithValue("format", Format);
        command.Parameters.Add(new NpgsqlParameter("data", NpgsqlDbType.Bytea) { Value = data });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Drops every snapshot (a rebuild of the read models starts from the events alone).</summary>
    public static async Task DeleteAllAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            $"delete from {StorageServiceCollectionExtensions.SchemaName}.{TableName}");
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}

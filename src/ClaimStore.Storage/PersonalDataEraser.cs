using System.Collections.Immutable;
using ClaimStore.Domain.Actors;
using ClaimStore.Domain.Claims;
using Marten;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace ClaimStore.Storage;

/// <summary>What an erasure rewrote: how many stored events, and the actor streams they belong to.</summary>
public sealed record ErasureRewrite(int Events, ImmutableArray<string> Streams);

/// <summary>
/// Rewrites the stored bodies of the events that hold a person's text (<see cref="Erasure"/> decides how), and
/// every copy derived from them: the search index rows, the <see cref="ActorSummary"/> document and the actor
/// snapshots of the streams touched. One transaction, so a failure leaves everything as it was; run again, it
/// finds nothing left to change. The one place where stored events change (decision 0015).
/// </summary>
public sealed partial class PersonalDataEraser(NpgsqlDataSource database, IDocumentStore store, ILogger<PersonalDataEraser> logger)
{
    private const string Events = StorageTables.Events;

    private static readonly Dictionary<string, Type> EventTypes = new(StringComparer.Ordinal)
    {
        [nameof(ActorRegistered)] = typeof(ActorRegistered),
        [nameof(ActorProfileChanged)] = typeof(ActorProfileChanged),
        [nameof(ClaimRecorded)] = typeof(ClaimRecorded),
        [nameof(ClaimRetracted)] = typeof(ClaimRetracted),
    };

    private readonly Marten.ISerializer _serializer = store.Options.Serializer();

    /// <summary>Erases the text of <paramref name="personId"/> from the store and its derived tables.</summary>
    public async Task<ErasureRewrite> EraseAsync(string personId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // Indexers wait until this commits, so none indexes a body this transaction is about to rewrite.
        var checkpoint = await ClaimSearchIndex.HoldIndexersAsync(connection, transaction, cancellationToken);

        // The person's own stream, and the claims elsewhere that they spoke or passed on.
        var rows = await ReadAsync(connection, transaction,
            $"""
            select seq_id, stream_id, type, data from {Events}
            where stream_id = @person and type = any(@types)
               or type = '{nameof(ClaimRecorded)}' and stream_id <> @person
                  and (data -> 'claim' ->> 'spokesperson' = @person or data -> 'claim' -> 'reportedVia' @> jsonb_build_array(@person::text))
            for update
            """, command => command.Parameters.AddWithValue("person", personId), cancellationToken);
        var names = Erasure.NamesOf(rows.Select(r => r.Event).OfType<ActorRegistered>().Select(e => new ActorProfile(e.Name, e.Kind, e.Aliases))
            .Concat(rows.Select(r => r.Event).OfType<ActorProfileChanged>().Select(e => new ActorProfile(e.Name, e.Kind, e.Aliases))));
        var naming = rows.Select(r => r.Event).OfType<ClaimRecorded>().Where(c => Erasure.Names(c, personId)).Select(c => c.ClaimId).ToHashSet();
        var seen = rows.Select(r => r.Sequence).ToHashSet();

        // Retractions of those claims in other streams, and other claims' text that mentions one of the names.
        var patterns = names.Select(n => "%" + n.Replace(@"\", @"\\", StringComparison.Ordinal)
            .Replace("%", @"\%", StringComparison.Ordinal).Replace("_", @"\_", StringComparison.Ordinal) + "%").ToArray();
        var more = await ReadAsync(connection, transaction,
            $"""
            select seq_id, stream_id, type, data from {Events}
            where type = '{nameof(ClaimRetracted)}' and (data ->> 'claimId')::uuid = any(@claims)
               or type = '{nameof(ClaimRecorded)}' and (data -> 'claim' ->> 'quote' ilike any(@patterns) or data -> 'claim' -> 'source' ->> 'title' ilike any(@patterns))
               or type = '{nameof(ClaimRetracted)}' and data ->> 'reason' ilike any(@patterns)
            for update
            """, command =>
            {
                command.Parameters.Add(new NpgsqlParameter<Guid[]>("claims", [.. naming]));
                command.Parameters.Add(new NpgsqlParameter<string[]>("patterns", patterns));
            }, cancellationToken);
        rows.AddRange(more.Where(r => seen.Add(r.Sequence)));

        var scope = new ErasureScope(personId, names, naming);
        var rewritten = rows
            .Select(r => (r.Sequence, r.Stream, Event: Erasure.Rewrite(r.Event, scope)))
            .Where(r => r.Event is not null)
            .Select(r => (r.Sequence, r.Stream, Event: r.Event!))
            .ToList();
        if (rewritten.Count > 0)
        {
            await using var batch = new NpgsqlBatch(connection, transaction);
            batch.BatchCommands.Add(new NpgsqlBatchCommand($"update {Events} e set data = r.data::jsonb from unnest($1, $2) as r(seq, data) where e.seq_id = r.seq")
            {
                Parameters =
                {
                    new NpgsqlParameter<long[]> { TypedValue = [.. rewritten.Select(r => r.Sequence)] },
                    new NpgsqlParameter<string[]> { TypedValue = [.. rewritten.Select(r => _serializer.ToJson(r.Event))] },
                },
            });
            await batch.ExecuteNonQueryAsync(cancellationToken);
            await ClaimSearchIndex.ReindexAsync(connection, transaction, [.. rewritten.Select(r => (r.Sequence, r.Event))], checkpoint, cancellationToken);
        }

        // The list of actors shows the summary document: blank it now, not only when the ActorErased event lands.
        var summaries = store.Options.FindOrResolveDocumentType(typeof(ActorSummary)).TableName.QualifiedName;
        await using (var summary = new NpgsqlCommand(
            $"update {summaries} set data = jsonb_set(jsonb_set(data, '{{name}}', to_jsonb(@marker::text)), '{{aliases}}', '[]'::jsonb) "
            + "where id = @person and (data ->> 'name' is distinct from @marker or data -> 'aliases' <> '[]'::jsonb)",
            connection, transaction))
        {
            summary.Parameters.AddWithValue("marker", Erasure.Marker);
            summary.Parameters.AddWithValue("person", personId);
            await summary.ExecuteNonQueryAsync(cancellationToken);
        }

        var streams = rewritten.Select(r => r.Stream).Append(personId).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToImmutableArray();
        await ActorSnapshots.DeleteAsync(connection, transaction, streams, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        LogErased(logger, personId, rewritten.Count, streams.Length);

        // Old row versions keep the text until vacuumed; this runs beside the request, best effort.
        _ = Task.Run(VacuumAsync, CancellationToken.None);
        return new ErasureRewrite(rewritten.Count, streams);
    }

    private async Task<List<(long Sequence, string Stream, IActorEvent Event)>> ReadAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, Action<NpgsqlCommand> parameters, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter<string[]>("types", [.. EventTypes.Keys]));
        parameters(command);
        var rows = new List<(long, string, IActorEvent)>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            if (EventTypes.TryGetValue(reader.GetString(2), out var type))
            {
                rows.Add((reader.GetInt64(0), reader.GetString(1), (IActorEvent)_serializer.FromJson(type, reader, 3)));
            }
        }

        return rows;
    }

    private async Task VacuumAsync()
    {
        try
        {
            var summaries = store.Options.FindOrResolveDocumentType(typeof(ActorSummary)).TableName.QualifiedName;
            await using var command = database.CreateCommand(
                $"vacuum {Events}, {ClaimSearchIndex.Table}, {summaries}, {StorageTables.ActorSnapshotSegments}");
            command.CommandTimeout = 0;
            await command.ExecuteNonQueryAsync();
        }
        catch (Exception ex)
        {
            LogVacuumFailed(logger, ex);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Erased the text of {PersonId}: {Events} events rewritten in {Streams} streams")]
    private static partial void LogErased(ILogger logger, string personId, int events, int streams);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Vacuuming after an erasure failed; old row versions stay until autovacuum")]
    private static partial void LogVacuumFailed(ILogger logger, Exception exception);
}

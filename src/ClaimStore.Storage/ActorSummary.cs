using System.Collections.Immutable;
using ClaimStore.Domain.Actors;
using ClaimStore.Domain.Claims;
using Marten;
using Marten.Events.Aggregation;
using Npgsql;

namespace ClaimStore.Storage;

/// <summary>
/// One row of <c>GET /actors</c>, kept in the same transaction as the actor's events that change it.
/// A recorded claim does not touch it: the claim count is the stream's version minus
/// <see cref="OtherEvents"/>, the events that are not claims (registration, profile changes,
/// retractions), so an append of claims writes no document.
/// </summary>
/// <param name="OtherEvents">
/// The actor's events that are not recorded claims; at least 1 (the registration). 0 marks a document
/// written before claims stopped updating it (it held the count itself, stale since): its claims are
/// counted from the events until <c>projections rebuild</c> rewrites it.
/// </param>
public sealed record ActorSummary(
    string Id,
    string Name,
    ActorKind Kind,
    ImmutableArray<string> Aliases,
    int OtherEvents);

/// <summary>Inline projection: the actor's grain is the only writer of its stream, so this document never races.</summary>
public sealed class ActorSummaryProjection : SingleStreamProjection<ActorSummary, string>
{
    public static ActorSummary Create(ActorRegistered e) => new(e.ActorId, e.Name, e.Kind, e.Aliases, 1);

    public static ActorSummary Apply(ActorProfileChanged e, ActorSummary current) =>
        Counted(current with { Name = e.Name, Kind = e.Kind, Aliases = e.Aliases });

    // Every recorded claim counts, retracted ones included (the contract's claimCount): a retraction is
    // one more event that is not a claim.
    public static ActorSummary Apply(ClaimRetracted e, ActorSummary current) => Counted(current);

    // The erasure has blanked the name in the stored events already; this keeps the document in step and counts the event.
    public static ActorSummary Apply(ActorErased e, ActorSummary current) =>
        Counted(current with { Name = Erasure.Marker, Aliases = [] });

    /// <summary>The same rules as one fold step, for rebuilding the documents outside Marten's projection runner.</summary>
    public static ActorSummary? Evolve(ActorSummary? current, IActorEvent @event) => (current, @event) switch
    {
        (null, ActorRegistered e) => Create(e),
        ({ } s, ActorProfileChanged e) => Apply(e, s),
        ({ } s, ClaimRetracted e) => Apply(e, s),
        ({ } s, ActorErased e) => Apply(e, s),
        _ => current,
    };

    // A document from before the count moved to the stream version stays marked as such (0).
    private static ActorSummary Counted(ActorSummary summary) =>
        summary.OtherEvents == 0 ? summary : summary with { OtherEvents = summary.OtherEvents + 1 };
}

/// <summary>Reads actor summaries with their claim counts.</summary>
public sealed class ActorDirectory(IDocumentStore store, NpgsqlDataSource database)
{
    /// <summary>
    /// Every registered actor with its claim count (<paramref name="actorId"/> given: that one, if registered),
    /// read in one statement, so summary and count belong to the same moment.
    /// </summary>
    /// <remarks>
    /// The documents that still need their claims counted from the events are read apart from the others, in a
    /// second branch of the statement: asked of every row, that count made the planner expect the cost of a count
    /// per actor, which is above PostgreSQL's <c>jit_above_cost</c>, so each call compiled the query first.
    /// </remarks>
    public async Task<IReadOnlyList<(ActorSummary Summary, int ClaimCount)>> ReadAsync(
        string? actorId, CancellationToken cancellationToken)
    {
        var table = store.Options.FindOrResolveDocumentType(typeof(ActorSummary)).TableName.QualifiedName;
        var one = actorId is null ? "" : " and d.id = @id";
        await using var command = database.CreateCommand(
            $"select d.data, s.version - (d.data->>'otherEvents')::int "
            + $"from {table} d join {StorageTables.Streams} s on s.id = d.id where (d.data->>'otherEvents')::int > 0{one} "
            + $"union all select d.data, (select count(*) from {StorageTables.Events} e where e.stream_id = d.id and e.type = '{nameof(ClaimRecorded)}') "
            + $"from {table} d join {StorageTables.Streams} s on s.id = d.id where coalesce((d.data->>'otherEvents')::int, 0) = 0{one}");
        if (actorId is not null)
        {
            command.Parameters.AddWithValue("id", actorId);
        }

        var serializer = store.Options.Serializer();
        var actors = new List<(ActorSummary, int)>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            actors.Add(((ActorSummary)serializer.FromJson(typeof(ActorSummary), reader, 0), Convert.ToInt32(reader.GetValue(1), System.Globalization.CultureInfo.InvariantCulture)));
        }

        return actors;
    }
}

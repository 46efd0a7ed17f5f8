using ClaimStore.Domain.Actors;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using SessionOptions = Marten.Services.SessionOptions;

namespace ClaimStore.Storage;

/// <summary>What a rebuild produced.</summary>
public sealed record RebuildReport(long Events, int Actors, long Propositions, long Contradictions);

/// <summary>
/// Rebuilds every read model from the event log: the persisted <see cref="ActorSummary"/> documents
/// (replaced in one transaction; writers are held back only for the last stretch of the log), the claim search
/// index and the read side's tables (each likewise in one transaction of its own).
/// </summary>
public static class ProjectionRebuild
{
    private const int ProgressEvery = 50_000;
    private const int BatchSize = 5000;

    /// <summary>Brings the schema up to date, then rebuilds, with the store and database <paramref name="services"/> hold.</summary>
    public static async Task<RebuildReport> RunAsync(IServiceProvider services, TextWriter output, CancellationToken cancellationToken)
    {
        var store = services.GetRequiredService<IDocumentStore>();
        await store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
        return await RunAsync(store, services.GetRequiredService<NpgsqlDataSource>(), output, cancellationToken);
    }

    public static async Task<RebuildReport> RunAsync(
        IDocumentStore store, NpgsqlDataSource database, TextWriter output, CancellationToken cancellationToken)
    {
        var summaries = new Dictionary<string, ActorSummary>(StringComparer.Ordinal);
        long events = 0, last = 0;
        var head = await LogHorizon.HeadAsync(database, cancellationToken);
        await output.WriteLineAsync($"Rebuilding read models from {head} events in the log…");

        // Most of the log, up to its horizon, without holding anyone up; the rest with every append held
        // back, so the documents written match the log exactly at the moment they are committed.
        var log = new EventLogReader(store, _ => true);
        await using (var reading = await database.OpenConnectionAsync(cancellationToken))
        {
            var (horizon, _) = await LogHorizon.ReadAsync(reading, cancellationToken);
            (events, last) = await FoldAsync(log, reading, null, 0, horizon, summaries, output, cancellationToken);
        }

        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await LogHorizon.BeginExclusiveAsync(connection, cancellationToken);
        var (more, end) = await FoldAsync(log, connection, transaction, last, long.MaxValue, summaries, output, cancellationToken);
        (events, last) = (events + more, Math.Max(last, end));

        await using (var session = store.LightweightSession(SessionOptions.ForTransaction(transaction)))
        {
            session.DeleteWhere<ActorSummary>(_ => true);
            session.Store(summaries.Values.ToArray());
            await session.SaveChangesAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        // Actor snapshots are derived too: drop them, actors refold from their events on next activation.
        await ActorSnapshots.DeleteAllAsync(database, cancellationToken);
        var search = new ClaimSearchIndex(database, store);
        await search.EnsureCreatedAsync(cancellationToken);
        var indexed = await search.RebuildAsync(
            new EventLogReader(store, ClaimSearchIndex.Reads).ReadIn(ClaimSearchIndex.BatchSize, cancellationToken),
            ClaimSearchIndex.BatchSize, cancellationToken);
        var readSide = new ReadSideTables(database);
        await readSide.EnsureCreatedAsync(cancellationToken);
        var (propositions, contradictions) = await readSide.RebuildAsync(
            new EventLogReader(store, ReadSideTables.Reads).ReadIn(ReadSideTables.BatchSize, cancellationToken),
            ReadSideTables.BatchSize, cancellationToken);
        await output.WriteLineAsync($"Actor summaries: {summaries.Count} documents rewritten; actor snapshots dropped.");
        await output.WriteLineAsync($"Claim search index: {indexed} claims.");
        await output.WriteLineAsync($"Read side: {propositions} propositions with live claims, {contradictions} contradictions.");
        await output.WriteLineAsync($"Done: {events} events folded up to sequence {last}.");
        return new RebuildReport(events, summaries.Count, propositions, contradictions);
    }

    /// <summary>Folds the actor summaries from the events after <paramref name="after"/>; returns how many and the last sequence read.</summary>
    private static async Task<(long Events, long Last)> FoldAsync(
        EventLogReader log, NpgsqlConnection connection, NpgsqlTransaction? transaction, long after, long upTo,
        Dictionary<string, ActorSummary> summaries, TextWriter output, CancellationToken cancellationToken)
    {
        long folded = 0;
        while (true)
        {
            var batch = await log.ReadAsync(connection, transaction, after, upTo, BatchSize, cancellationToken);
            foreach (var (sequence, @event) in batch)
            {
                after = sequence;
                if (@event is not null)
                {
                    summaries.TryGetValue(@event.ActorId, out var current);
                    if (ActorSummaryProjection.Evolve(current, @event) is { } next)
                    {
                        summaries[@event.ActorId] = next;
                    }
                }

                if (++folded % ProgressEvery == 0)
                {
                    await output.WriteLineAsync($"  {after} events…");
                }
            }

            if (batch.Count < BatchSize)
            {
                return (folded, after);
            }
        }
    }
}

using ClaimStore.Api.ReadModel;
using ClaimStore.Api.Search;
using ClaimStore.Domain.Actors;
using ClaimStore.Domain.Contradictions;
using ClaimStore.Domain.Propositions;
using ClaimStore.Grains.Storage;
using Marten;
using SessionOptions = Marten.Services.SessionOptions;
using Npgsql;

namespace ClaimStore.Api.Operations;

/// <summary>What a rebuild produced.</summary>
public sealed record RebuildReport(long Events, int Actors, ReadModelSnapshot ReadModel);

/// <summary>
/// Rebuilds every read model from the event log: the persisted <see cref="ActorSummary"/> documents
/// (replaced in one transaction), the claim search index (likewise) and the proposition and contradiction model that each host
/// otherwise folds in memory at start. Writers are held back only for the last stretch of the log.
/// </summary>
public static class ProjectionRebuild
{
    private const int ProgressEvery = 50_000;

    public static async Task<RebuildReport> RunAsync(
        IDocumentStore store, NpgsqlDataSource database, TextWriter output, CancellationToken cancellationToken)
    {
        var summaries = new Dictionary<string, ActorSummary>(StringComparer.Ordinal);
        // A table of its own: the command folds the log once, and the table goes with the ledger afterwards.
        var ledger = new PropositionLedger(new PropositionTable());
        long events = 0;
        var head = await LogHorizon.HeadAsync(database, cancellationToken);
        await output.WriteLineAsync($"Rebuilding read models from {head} events in the log…");

        // Most of the log, up to its horizon, without holding anyone up; the rest with every append held
        // back, so the documents written match the log exactly at the moment they are committed.
        var log = new EventLogReader(store, _ => true);
        await using (var reading = await database.OpenConnectionAsync(cancellationToken))
        {
            var (horizon, _) = await LogHorizon.ReadAsync(reading, cancellationToken);
            events += await FoldAsync(log, reading, null, horizon, ledger, summaries, output, events, cancellationToken);
        }

        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await LogHorizon.BeginExclusiveAsync(connection, cancellationToken);
        events += await FoldAsync(log, connection, transaction, long.MaxValue, ledger, summaries, output, events, cancellationToken);

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
        var claimLog = new EventLogReader(store, ClaimSearchIndexer.Reads);
        var indexed = await search.RebuildAsync(
            async (connection, transaction, after, upTo) =>
                await claimLog.ReadAsync(connection, transaction, after, upTo, ClaimSearchIndexer.BatchSize, cancellationToken),
            ClaimSearchIndexer.BatchSize, cancellationToken);
        var snapshot = ledger.Publish();
        var contradictions = snapshot.Contradictions().ToList();
        await output.WriteLineAsync($"Actor summaries: {summaries.Count} documents rewritten; actor snapshots dropped.");
        await output.WriteLineAsync($"Claim search index: {indexed} claims.");
        await output.WriteLineAsync(
            $"Propositions: {snapshot.Propositions.Count}; contradictions: {contradictions.Count} " +
            $"({string.Join(", ", Enum.GetValues<ContradictionKind>().Select(k => $"{k}: {contradictions.Count(c => c.Kind == k)}"))}).");
        await output.WriteLineAsync($"Done: {events} events folded up to sequence {ledger.Sequence}.");
        return new RebuildReport(events, summaries.Count, snapshot);
    }

    private static async Task<long> FoldAsync(
        EventLogReader log, NpgsqlConnection connection, NpgsqlTransaction? transaction, long upTo, PropositionLedger ledger,
        Dictionary<string, ActorSummary> summaries, TextWriter output, long before, CancellationToken cancellationToken)
    {
        long folded = 0;
        while (true)
        {
            var batch = await log.ReadAsync(connection, transaction, ledger.Sequence, upTo, ReadModelFollower.BatchSize, cancellationToken);
            foreach (var (sequence, @event) in batch)
            {
                if (@event is null)
                {
                    ledger.Skip(sequence); // a type this build does not know
                    ++folded;
                    continue;
                }

                ledger.Apply(sequence, @event);
                summaries.TryGetValue(@event.ActorId, out var current);
                if (ActorSummaryProjection.Evolve(current, @event) is { } next)
                {
                    summaries[@event.ActorId] = next;
                }

                if (++folded % ProgressEvery == 0)
                {
                    await output.WriteLineAsync($"  {before + folded} events…");
                }
            }

            if (batch.Count < ReadModelFollower.BatchSize)
            {
                return folded;
            }
        }
    }
}

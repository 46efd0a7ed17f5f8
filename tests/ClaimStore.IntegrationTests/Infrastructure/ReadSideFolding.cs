using ClaimStore.Api.ReadModel;
using ClaimStore.Domain.Contradictions;
using ClaimStore.Domain.Propositions;
using ClaimStore.Storage;
using Marten;
using Microsoft.Extensions.DependencyInjection;

namespace ClaimStore.IntegrationTests.Infrastructure;

/// <summary>The read side's tables folded by the test itself, as a host's projector would, on a cluster fixture's database.</summary>
internal static class ReadSideFolding
{
    /// <summary>Projector rounds until one reads less than a full batch; returns the checkpoint.</summary>
    public static async Task<long> FoldAsync(ReadSideTables tables, IDocumentStore store)
    {
        var log = new EventLogReader(store, ReadSideTables.Reads);
        while (true)
        {
            var round = await tables.ProjectAsync(log.ReadIn(ReadSideTables.BatchSize, CancellationToken.None), ReadSideTables.BatchSize, CancellationToken.None);
            if (!round.More)
            {
                return round.Checkpoint;
            }
        }
    }

    /// <summary>The read side's tables of the database <paramref name="connectionString"/> built again from its log.</summary>
    public static async Task RebuildAsync(string connectionString)
    {
        await using var storage = new ServiceCollection().AddClaimStoreStorage(connectionString).BuildServiceProvider();
        var log = new EventLogReader(storage.GetRequiredService<IDocumentStore>(), ReadSideTables.Reads);
        await storage.GetRequiredService<ReadSideTables>().RebuildAsync(
            log.ReadIn(ReadSideTables.BatchSize, CancellationToken.None), ReadSideTables.BatchSize, CancellationToken.None);
    }

    /// <summary>The stored contradictions of one proposition.</summary>
    public static async Task<List<Contradiction>> ContradictionsAsync(ReadSideTables tables, string propositionKey)
    {
        var found = new List<Contradiction>();
        await foreach (var c in tables.ContradictionsAsync(new ContradictionFilter(null, propositionKey, null, null), CancellationToken.None))
        {
            found.Add(c);
        }

        return found;
    }

    public static string Describe(IEnumerable<ActorStance> stances, IEnumerable<Contradiction> contradictions) =>
        string.Join('\n', stances.Select(s => $"{s.ActorId} {s.Stance} {s.Since:O} {s.ClaimId}")
            .Concat(contradictions.Select(c =>
                $"{c.ContradictionId} {c.Kind} {string.Join(',', c.ActorIds)} {string.Join(',', c.ClaimIds)} {c.OpenedAt:O} {c.ResolvedAt:O}")));
}

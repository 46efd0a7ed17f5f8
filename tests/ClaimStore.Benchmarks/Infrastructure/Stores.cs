using ClaimStore.Domain.Actors;
using ClaimStore.Domain.Claims;
using ClaimStore.Storage;
using JasperFx;
using JasperFx.Events;
using JasperFx.Events.Projections;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Weasel.Core;

namespace ClaimStore.Benchmarks.Infrastructure;

/// <summary>Marten stores the benchmark opens in the scenario's database, next to the host's.</summary>
public static class Stores
{
    /// <summary>Schema of the "plain Marten" baseline store.</summary>
    public const string BaselineSchema = "bench_marten";

    /// <summary>
    /// ClaimStore's own store (schema <c>claimstore</c>), configured exactly as the host configures
    /// it (<see cref="StorageServiceCollectionExtensions.AddClaimStoreStorage"/>), for reading what
    /// the host wrote and for <c>ProjectionRebuild</c>.
    /// </summary>
    public static ServiceProvider ClaimStoreServices(string connectionString) =>
        new ServiceCollection().AddClaimStoreStorage(connectionString).BuildServiceProvider();

    /// <summary>
    /// The baseline: the same event types, serializer, stream identity, unique event ids and inline
    /// <see cref="ActorSummaryProjection"/> as ClaimStore, on a schema of its own; used the plain way,
    /// one session and one transaction per claim.
    /// </summary>
    /// <param name="connectionString">The scenario's database.</param>
    /// <param name="npgsqlDefaults">
    /// False: ClaimStore's own connection settings (<see cref="DatabaseTimeouts.BuildDataSource"/>: statements
    /// prepared on their pooled connections, no <c>DISCARD ALL</c> when a connection goes back to the pool),
    /// the baseline the ratio is taken against. True: Npgsql's defaults, as <c>AddMarten(connectionString)</c>
    /// gets them; every append then plans Marten's statements again.
    /// </param>
    public static async Task<DocumentStore> BaselineAsync(string connectionString, bool npgsqlDefaults = false)
    {
        var store = DocumentStore.For(options =>
        {
            var dataSource = npgsqlDefaults
                ? NpgsqlDataSource.Create(connectionString)
                : DatabaseTimeouts.Default.BuildDataSource(connectionString);
            StorageServiceCollectionExtensions.ConfigureMarten(options, dataSource);
            options.DatabaseSchemaName = BaselineSchema;
        });
        await store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
        return store;
    }

    /// <summary>Starts one stream per actor with its registration, in one transaction.</summary>
    public static async Task RegisterBaselineActorsAsync(IDocumentStore store, IEnumerable<string> actorIds)
    {
        await using var session = store.LightweightSession();
        foreach (var id in actorIds)
        {
            session.Events.StartStream(id, new ActorRegistered(id, $"Actor {id}", ActorKind.Organisation, [], DateTimeOffset.UtcNow));
        }

        await session.SaveChangesAsync();
    }

    /// <summary>The event as ClaimStore stores it: event id = claim id.</summary>
    public static IEvent ClaimEvent(string actorId, ClaimSpec claim)
    {
        IEvent wrapped = new Event<ClaimRecorded>(new ClaimRecorded(claim.ClaimId, actorId, ClaimData.Content(claim), DateTimeOffset.UtcNow));
        wrapped.Id = claim.ClaimId;
        return wrapped;
    }

    /// <summary>The raw-insert baseline's table: one row per claim, primary key only.</summary>
    public static async Task CreateRawTableAsync(NpgsqlDataSource dataSource)
    {
        await using var command = dataSource.CreateCommand(
            "create schema if not exists bench_raw; "
            + "create table if not exists bench_raw.claims (id uuid primary key, actor_id text not null, data jsonb not null, recorded_at timestamptz not null default now())");
        await command.ExecuteNonQueryAsync();
    }
}

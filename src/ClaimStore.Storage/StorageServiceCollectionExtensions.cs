using ClaimStore.Domain.Actors;
using ClaimStore.Domain.Claims;
using JasperFx;
using JasperFx.Events;
using JasperFx.Events.Projections;
using JasperFx.OpenTelemetry;
using Marten;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Weasel.Core;

namespace ClaimStore.Storage;

public static class StorageServiceCollectionExtensions
{
    /// <summary>
    /// Registers the Marten event store on <paramref name="connectionString"/>: string stream keys
    /// (one stream per actor), a unique index on event ids (claim ids are event ids, so the store
    /// itself refuses a second append of a claim), and the schema created or upgraded at start; and
    /// the storage services beside it (appends, snapshots, the read side, the search index).
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="connectionString">The ClaimStore database.</param>
    /// <param name="timeouts">
    /// How long to wait for PostgreSQL; when null, from the <c>Database</c> section of the host's
    /// <see cref="IConfiguration"/> (see <see cref="DatabaseTimeouts.Resolve"/>).
    /// </param>
    public static IServiceCollection AddClaimStoreStorage(
        this IServiceCollection services, string connectionString, DatabaseTimeouts? timeouts = null)
    {
        services.AddSingleton(sp => timeouts ?? DatabaseTimeouts.Resolve(sp.GetService<IConfiguration>(), connectionString));
        services.AddSingleton(sp => sp.GetRequiredService<DatabaseTimeouts>().BuildDataSource(connectionString));
        services.AddSingleton(sp => new ScanConnections(
            sp.GetRequiredService<DatabaseTimeouts>().BuildDataSource(connectionString, ScanConnections.MaxPoolSize)));
        services.AddMarten(sp =>
            {
                var options = new StoreOptions();
                ConfigureMarten(options, sp.GetRequiredService<NpgsqlDataSource>());
                options.CommandTimeout = sp.GetRequiredService<DatabaseTimeouts>().CommandTimeoutSeconds;
                return options;
            })
            .UseLightweightSessions()
            .ApplyAllDatabaseChangesOnStartup();
        services.AddSingleton<LogAppendSignal>();
        services.AddSingleton<ActorStreams>();
        services.AddSingleton<ClaimSearchIndex>();
        services.AddSingleton<ReadSideTables>();
        services.AddSingleton<ActorSnapshots>();
        services.AddSingleton<PersonalDataEraser>();
        services.AddSingleton<EventLog>();
        services.AddSingleton<ActorDirectory>();
        services.AddSingleton<DatabaseProbe>();
        services.AddSingleton<StoreReset>();
        services.AddSingleton(TimeProvider.System);
        return services;
    }

    public static void ConfigureMarten(StoreOptions options, NpgsqlDataSource dataSource)
    {
        options.Connection(dataSource);
        options.DatabaseSchemaName = StorageTables.Schema;
        options.AutoCreateSchemaObjects = AutoCreate.CreateOrUpdate;
        options.UseSystemTextJsonForSerialization(EnumStorage.AsString, Casing.CamelCase);

        options.Events.StreamIdentity = StreamIdentity.AsString;
        // Quick append draws sequence numbers only when the batch runs, after ActorStreams has announced
        // the append to log readers (LogHorizon); Rich mode would draw them earlier. Marten's default, pinned.
        options.Events.AppendMode = EventAppendMode.QuickWithServerTimestamps;
        options.Events.EnableUniqueIndexOnEventId = true;
        options.Events.MapEventType<ActorRegistered>(nameof(ActorRegistered));
        options.Events.MapEventType<ActorProfileChanged>(nameof(ActorProfileChanged));
        options.Events.MapEventType<ClaimRecorded>(nameof(ClaimRecorded));
        options.Events.MapEventType<ClaimRetracted>(nameof(ClaimRetracted));
        options.Events.MapEventType<ActorErased>(nameof(ActorErased));

        // A span per session's connection on Marten's "Marten" source; without a listener it costs a check.
        options.OpenTelemetry.TrackConnections = TrackLevel.Normal;

        options.Projections.Add<ActorSummaryProjection>(ProjectionLifecycle.Inline);
        options.Storage.ExtendedSchemaObjects.Add(ActorSnapshots.Table());
    }
}

using ClaimStore.Api.Actors;
using ClaimStore.Api.Auth;
using ClaimStore.Api.Claims;
using ClaimStore.Api.Contradictions;
using ClaimStore.Api.Feeds;
using ClaimStore.Api.History;
using ClaimStore.Api.Http;
using ClaimStore.Api.Operations;
using ClaimStore.Api.Positions;
using ClaimStore.Api.Propositions;
using ClaimStore.Api.ReadModel;
using ClaimStore.Api.Reference;
using ClaimStore.Api.Sample;
using ClaimStore.Api.Search;
using ClaimStore.Api.Telemetry;
using ClaimStore.Api.Testing;
using ClaimStore.Api.Timelines;
using ClaimStore.Api.Ui;
using ClaimStore.Grains.Actors;
using ClaimStore.LocalPostgres;
using ClaimStore.Storage;
using FluentValidation;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Serialization;

namespace ClaimStore.Api.Hosting;

/// <summary>How the host is put together: database, silo, API. <c>Program.cs</c> only calls these.</summary>
internal static class ClaimStoreHosting
{
    public const string ConnectionStringName = "ClaimStore";

    /// <summary>
    /// Uses <c>ConnectionStrings:ClaimStore</c> when set; otherwise starts (or reuses) the embedded
    /// PostgreSQL in <c>.data/postgres</c> of the checkout (with <c>EmbeddedPostgres:Standby=true</c>, and a
    /// synchronous standby in <c>.data/postgres-standby</c>), stopped again when the host stops.
    /// </summary>
    public static TBuilder AddClaimStoreDatabase<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        var connectionString = builder.Configuration.GetConnectionString(ConnectionStringName);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            var dataDirectory = builder.Configuration["EmbeddedPostgres:DataDirectory"]
                ?? Path.Combine(FindCheckoutRoot(builder.Environment.ContentRootPath), ".data", "postgres");
            // Before the host's own logging exists: the same format (JSON in Production), one line a message.
            var json = builder.Configuration["Logging:Console:FormatterName"] == "json";
            using var loggerFactory = LoggerFactory.Create(logging => _ = json
                ? logging.AddJsonConsole(o => (o.TimestampFormat, o.UseUtcTimestamp) = ("yyyy-MM-ddTHH:mm:ss.fffZ", true))
                : logging.AddSimpleConsole(o => o.SingleLine = true));
            // EmbeddedPostgres:Standby adds a synchronous standby and a connection string that follows its promotion.
            var standby = builder.Configuration.GetValue("EmbeddedPostgres:Standby", defaultValue: false);
            var embedded = EmbeddedPostgres.Start(
                new EmbeddedPostgresOptions(dataDirectory, Standby: standby), loggerFactory.CreateLogger<EmbeddedPostgres>());
            connectionString = embedded.ConnectionString;
            builder.Configuration[$"ConnectionStrings:{ConnectionStringName}"] = connectionString;
            builder.Services.AddSingleton(embedded);
        }

        builder.Services.AddClaimStoreGrains(connectionString);
        return builder;
    }

    /// <summary>Co-hosts the Orleans silo; ports and cluster id come from the <c>Orleans</c> section.</summary>
    public static WebApplicationBuilder AddClaimStoreSilo(this WebApplicationBuilder builder)
    {
        var settings = builder.Configuration.GetSection("Orleans").Get<OrleansSettings>() ?? new OrleansSettings();
        var connectionString = builder.Configuration.GetConnectionString(ConnectionStringName) ?? "";
        OrleansClustering.TakeClusteringAlias(builder.Configuration, settings);
        if (OrleansClustering.UsesPostgres(settings))
        {
            // The silo reads its queries from the membership tables as it starts: create them first.
            OrleansClustering.EnsureSchemaAsync(connectionString, CancellationToken.None).GetAwaiter().GetResult();
        }

        builder.UseOrleans(silo =>
        {
            silo.UseClaimStoreClustering(settings, connectionString);
            silo.Configure<GrainCollectionOptions>(options => options.CollectionAge = settings.GrainCollectionAge);
            silo.Configure<GrainDirectoryOptions>(options => options.CacheSize = settings.DirectoryCacheSize);
            // Orleans serializes only exceptions of the namespaces it is given; a store failure in a grain must reach
            // a caller on another silo as what it is, which ErrorMapping answers with 503, not as a codec failure (500).
            silo.Configure<ExceptionSerializationOptions>(options =>
            {
                foreach (var prefix in (string[])["Npgsql", "Marten", "JasperFx", "Weasel", "ClaimStore"])
                {
                    options.SupportedNamespacePrefixes.Add(prefix);
                }
            });
            if (TelemetryHosting.TracesOn(builder.Configuration))
            {
                // Grain calls start spans (and carry the caller's trace) only with propagation on.
                silo.AddActivityPropagation();
            }

            silo.AddClaimStoreDashboard(builder.Configuration, builder.Environment);
        });
        return builder;
    }

    public static IServiceCollection AddClaimStoreApi(this IServiceCollection services)
    {
        services.AddMediator((Mediator.MediatorOptions options) =>
        {
            options.ServiceLifetime = ServiceLifetime.Singleton;
            options.PipelineBehaviors = [typeof(TracingBehavior<,>), typeof(ValidationBehavior<,>)];
        });
        services.AddValidatorsFromAssemblyContaining<ClaimInput.Validator>(ServiceLifetime.Singleton, includeInternalTypes: true);
        services.ConfigureHttpJsonOptions(options => ApiJson.Configure(options.SerializerOptions));
        services.AddSingleton<CurrentPositionsCache>();
        // Binding failures throw, so that ErrorMapping answers them like every other bad request.
        services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
        services.AddProblemDetails(options => options.CustomizeProblemDetails = RequestLimits.DescribeTooLarge);
        services.AddSingleton<IProblemDetailsWriter, ProblemJsonWriter>();
        services.AddExceptionHandler<ErrorMapping>();
        // 1 MiB per request; POST /claims/batch raises it for itself (RequestLimits.WithMaxBodySize).
        services.Configure<KestrelServerOptions>(options => options.Limits.MaxRequestBodySize = RequestLimits.MaxBodyBytes);
        services.AddClaimStoreAuth();
        services.AddOpenApi(options => options.AddApiKeySecurity().AddOperationDescriptions());
        services.AddSingleton<ContradictionFeed>();
        services.AddHostedService(sp => sp.GetRequiredService<ContradictionFeed>());
        services.AddSingleton<LiveEventLog>();
        services.AddHostedService(sp => sp.GetRequiredService<LiveEventLog>());
        services.AddSingleton<ReadSideProjector>();
        services.AddHostedService(sp => sp.GetRequiredService<ReadSideProjector>());
        services.AddSingleton<ClaimSearchIndexer>();
        services.AddHostedService(sp => sp.GetRequiredService<ClaimSearchIndexer>());
        services.AddHostedService<SampleLoader>();
        services.AddOptions<MemorySettings>().BindConfiguration("Memory")
            .Validate(m => m.ActorLedgersMiB >= 0, "Memory:ActorLedgersMiB must be 0 or more.").ValidateOnStart();
        services.AddOptions<LedgerBudgetOptions>().Configure<IOptions<MemorySettings>>(
            (budget, memory) => budget.Bytes = (long)memory.Value.ActorLedgersMiB << 20);
        services.AddHostedService<IdleCompaction>();
        services.AddWorkbench();
        return services;
    }

    public static WebApplication UseClaimStoreApi(this WebApplication app)
    {
        // The embedded server goes down last, once the silo and every request are done with it.
        if (app.Services.GetService<EmbeddedPostgres>() is { } embedded)
        {
            app.Lifetime.ApplicationStopped.Register(embedded.Stop);
        }

        app.UseMiddleware<RequestTelemetry>();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseClaimStoreAuth();
        app.UseDeclaredBodySizeCheck();
        app.MapOpenApi("/openapi/{documentName}.json").AllowAnonymous();
        // Reading anything needs a reader key; each write endpoint asks for a writer key itself.
        var api = app.MapGroup("/").RequireReader();
        api.MapActors();
        api.MapClaims();
        api.MapHistory();
        api.MapPositions();
        api.MapTimelines();
        api.MapSearch();
        api.MapFeeds();
        api.MapPropositions();
        api.MapContradictions();
        app.MapOperations();
        app.MapTesting(app.Configuration);
        app.MapClaimStoreTelemetry();
        app.MapClaimStoreDashboard();
        app.MapApiReference();
        app.MapWorkbench();
        return app;
    }

    private static string FindCheckoutRoot(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ClaimStore.sln")))
            {
                return dir.FullName;
            }
        }

        return start;
    }
}

/// <summary>The <c>Orleans</c> configuration section.</summary>
public sealed class OrleansSettings
{
    public int SiloPort { get; set; } = 11111;

    public int GatewayPort { get; set; } = 30000;

    public string ClusterId { get; set; } = "claimstore";

    public string ServiceId { get; set; } = "claimstore";

    /// <summary>
    /// <c>localhost</c> (one silo) or <c>postgres</c> (membership in the ClaimStore database).
    /// Not named <c>Clustering</c>: Orleans itself reads <c>Orleans:Clustering</c> as its provider section.
    /// </summary>
    public string ClusteringMode { get; set; } = OrleansClustering.Localhost;

    /// <summary>
    /// The address other silos reach this one on (<c>postgres</c> clustering only). Unset means
    /// 127.0.0.1, which only works when every silo runs on the same machine.
    /// </summary>
    public string? AdvertisedIP { get; set; }

    /// <summary>
    /// How long an actor grain stays in memory without calls (Orleans' grain collection age). An
    /// actor activates from its snapshot in milliseconds, so idle ones need not hold memory for
    /// Orleans' default 15 minutes. Orleans requires more than its collection quantum (1 minute).
    /// </summary>
    public TimeSpan GrainCollectionAge { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// How many grain locations a silo's directory caches keep (Orleans' default is 1,000,000). Orleans
    /// sizes its two caches' hash tables for that many entries up front: 18 MiB of large arrays at
    /// 1,000,000 whether they are used or not, under 2 MiB at 100,000. A grain whose location is not
    /// cached costs one directory lookup on its next call from this silo.
    /// </summary>
    public int DirectoryCacheSize { get; set; } = 100_000;
}

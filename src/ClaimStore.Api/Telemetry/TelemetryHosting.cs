using ClaimStore.Api.Auth;
using ClaimStore.Storage.Telemetry;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace ClaimStore.Api.Telemetry;

/// <summary>
/// OpenTelemetry for the host: metrics (ClaimStore's meter, Orleans', ASP.NET Core's, Npgsql's, the
/// runtime's) exported on <c>/metrics</c> for Prometheus and over OTLP when
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set; traces from the endpoint through the mediator and the
/// grain call to PostgreSQL when there is somewhere to send them.
/// </summary>
internal static class TelemetryHosting
{
    public const string MetricsPath = "/metrics";

    public const string ServiceName = "claimstore";

    /// <summary>Orleans' activity sources: grain calls as seen by the caller and by the grain, and the runtime's own work.</summary>
    public static readonly string[] OrleansSources = ["Microsoft.Orleans.Runtime", "Microsoft.Orleans.Application"];

    /// <summary>Orleans' meter: messaging, activations, the directory, the scheduler.</summary>
    public const string OrleansMeter = "Microsoft.Orleans";

    /// <summary>
    /// ASP.NET Core instruments left unrecorded: each fires on every request or buffer and says what
    /// <c>http.server.request.duration</c> (by route and status) and <c>claimstore.requests.rejected</c>
    /// (by reason) already say, or describes Kestrel's buffer pool; an instrument nobody records costs a check.
    /// </summary>
    public static readonly string[] DroppedInstruments =
    [
        "aspnetcore.memory_pool.*",
        "aspnetcore.routing.match_attempts",
        "aspnetcore.authentication.authenticate.duration",
        "aspnetcore.authorization.attempts",
    ];

    public static TelemetrySettings Settings(IConfiguration configuration) =>
        configuration.GetSection(TelemetrySettings.Section).Get<TelemetrySettings>() ?? new TelemetrySettings();

    /// <summary>Whether spans are recorded: <c>Telemetry:Traces</c>, or else whether an OTLP endpoint is set.</summary>
    public static bool TracesOn(IConfiguration configuration)
    {
        var settings = Settings(configuration);
        return settings.Enabled && (settings.Traces ?? OtlpConfigured(configuration));
    }

    public static WebApplicationBuilder AddClaimStoreTelemetry(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<TelemetrySettings>().BindConfiguration(TelemetrySettings.Section);
        var settings = Settings(builder.Configuration);
        if (!settings.Enabled)
        {
            return builder;
        }

        var otlp = OtlpConfigured(builder.Configuration);
        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(ServiceName, serviceInstanceId: Environment.MachineName));
        telemetry.WithMetrics(metrics =>
        {
            metrics.AddMeter(ClaimStoreMeter.Name, OrleansMeter)
                .AddStorageInstrumentation()
                .AddAspNetCoreInstrumentation()
                .AddRuntimeInstrumentation();
            foreach (var instrument in DroppedInstruments)
            {
                metrics.AddView(instrument, MetricStreamConfiguration.Drop);
            }

            if (settings.Prometheus)
            {
                metrics.AddPrometheusExporter();
            }
        });
        if (TracesOn(builder.Configuration))
        {
            telemetry.WithTracing(tracing => tracing
                .SetSampler(new ParentBasedSampler(new RequestRootSampler()))
                .AddSource(ClaimStoreActivities.Name)
                .AddStorageInstrumentation()
                .AddSource(OrleansSources)
                // Probes and scrapes every few seconds would bury the requests worth reading.
                .AddAspNetCoreInstrumentation(options => options.Filter = context => !IsProbe(context.Request.Path)));
        }

        if (otlp)
        {
            // Endpoint, protocol and headers come from the standard OTEL_EXPORTER_OTLP_* variables.
            telemetry.UseOtlpExporter();
        }

        return builder;
    }

    /// <summary>Maps <c>/metrics</c> (admin role when API keys are configured) unless <c>Telemetry:Prometheus</c> is off.</summary>
    public static WebApplication MapClaimStoreTelemetry(this WebApplication app)
    {
        var settings = Settings(app.Configuration);
        if (settings.Enabled && settings.Prometheus)
        {
            app.MapPrometheusScrapingEndpoint(MetricsPath).RequireAdminToRead();
        }

        return app;
    }

    private static bool OtlpConfigured(IConfiguration configuration) =>
        !string.IsNullOrWhiteSpace(configuration[TelemetrySettings.OtlpEndpointVariable]);

    private static bool IsProbe(PathString path) =>
        path.StartsWithSegments(MetricsPath) || path.StartsWithSegments("/alive") || path.StartsWithSegments("/health");
}

using Npgsql;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace ClaimStore.Storage.Telemetry;

/// <summary>The store's instruments for the host's OpenTelemetry: Marten's meter and activity source, Npgsql's metrics and commands.</summary>
public static class StorageTelemetry
{
    /// <summary>Marten's activity source (its sessions' connections) and meter.</summary>
    public const string MartenSource = "Marten";

    public static MeterProviderBuilder AddStorageInstrumentation(this MeterProviderBuilder metrics) =>
        metrics.AddMeter(MartenSource).AddNpgsqlInstrumentation();

    public static TracerProviderBuilder AddStorageInstrumentation(this TracerProviderBuilder tracing) =>
        tracing.AddSource(MartenSource).AddNpgsql();
}

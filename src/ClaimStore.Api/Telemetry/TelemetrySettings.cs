namespace ClaimStore.Api.Telemetry;

/// <summary>The <c>Telemetry</c> configuration section.</summary>
public sealed class TelemetrySettings
{
    public const string Section = "Telemetry";

    /// <summary>The OpenTelemetry standard variable: where OTLP exports go when it is set.</summary>
    public const string OtlpEndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>Metrics (and traces, where <see cref="Traces"/> says so) at all; false leaves no listener on any source.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The Prometheus scrape endpoint <c>/metrics</c>.</summary>
    public bool Prometheus { get; set; } = true;

    /// <summary>
    /// Whether spans are recorded. Unset: only when an OTLP endpoint is configured, so that a host with
    /// nowhere to send traces does not pay for them.
    /// </summary>
    public bool? Traces { get; set; }

    /// <summary>One Information line per request (method, path, status, duration); off by default.</summary>
    public bool RequestLog { get; set; }
}

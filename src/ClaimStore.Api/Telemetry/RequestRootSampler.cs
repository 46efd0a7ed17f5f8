using OpenTelemetry.Trace;

namespace ClaimStore.Api.Telemetry;

/// <summary>
/// Traces start at requests: a span without a parent is kept only when it serves a request (server
/// kind). The background followers (read side, search index, live feeds) query PostgreSQL several times
/// a second; as roots of their own their statements would be a steady stream of one-span traces that
/// cost CPU and bury the requests. Used as the root sampler of a parent-based one, so every span under a
/// kept request is kept.
/// </summary>
internal sealed class RequestRootSampler : Sampler
{
    public override SamplingResult ShouldSample(in SamplingParameters samplingParameters) =>
        new(samplingParameters.Kind == System.Diagnostics.ActivityKind.Server ? SamplingDecision.RecordAndSample : SamplingDecision.Drop);
}

using System.Diagnostics;
using System.Net;
using ClaimStore.IntegrationTests.Infrastructure;
using ClaimStore.Storage.Telemetry;

namespace ClaimStore.IntegrationTests.Telemetry;

/// <summary>Traces of a write, collected in-process by OpenTelemetry's in-memory exporter.</summary>
[Collection(ApiCollection.Name)]
public sealed class TracingTests(ApiFixture fixture, TelemetryHost telemetry) : IClassFixture<TelemetryHost>
{
    [Fact]
    public async Task ClaimPost_WithTracesOn_IsOneTraceFromTheEndpointThroughTheGrainToPostgres()
    {
        await telemetry.StartAsync(fixture);
        var client = telemetry.Host.CreateClient();
        var actorId = await client.RegisterAsync();

        var response = await client.PostJsonAsync($"/actors/{actorId}/claims", HttpExtensions.ExampleClaim());

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        // The endpoint's span ends just after the response has gone out.
        var endpoint = await WaitForAsync(() => telemetry.Spans.FirstOrDefault(s =>
            s.Kind == ActivityKind.Server && s.GetTagItem("http.request.method") as string == "POST"
            && (s.GetTagItem("url.path") as string ?? "").Contains(actorId, StringComparison.Ordinal)));
        var trace = telemetry.Spans.Where(s => s.TraceId == endpoint.TraceId).ToList();
        var described = string.Join("\n", trace.Select(s => $"{s.Source.Name}: {s.DisplayName}"));
        Assert.Equal("/actors/{actorId}/claims/", endpoint.GetTagItem("http.route"));
        Assert.True(trace.Any(s => s.Source.Name == ClaimStoreActivities.Name && s.DisplayName == "mediator RecordClaim"), described);
        Assert.True(trace.Any(s => s.Source.Name.StartsWith("Microsoft.Orleans", StringComparison.Ordinal)
            && s.DisplayName.Contains("RecordClaims", StringComparison.Ordinal)), described);
        Assert.True(trace.Any(s => s.DisplayName == "claimstore.append commit"), described);
        // The append's statements, which insert into Marten's events table.
        Assert.True(trace.Any(s => s.Source.Name == "Npgsql" && Statement(s).Contains("mt_events", StringComparison.Ordinal)), described);
        // One trace: every span of it descends from the endpoint's.
        var byId = trace.ToDictionary(s => s.SpanId);
        Assert.All(trace.Where(s => s != endpoint), s => Assert.True(DescendsFrom(s, endpoint, byId), $"{s.DisplayName} is not under the endpoint\n{described}"));
    }

    [Fact]
    public async Task ActorEventsRead_WithTracesOn_HasMartensSessionSpan()
    {
        await telemetry.StartAsync(fixture);
        var client = telemetry.Host.CreateClient(ApiFixture.ReaderKey);
        var actorId = await telemetry.Host.CreateClient().RegisterAsync();

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/actors/{actorId}/events")).StatusCode);

        var endpoint = await WaitForAsync(() => telemetry.Spans.FirstOrDefault(s =>
            s.Kind == ActivityKind.Server && (s.GetTagItem("url.path") as string ?? "") == $"/actors/{actorId}/events"));
        var trace = telemetry.Spans.Where(s => s.TraceId == endpoint.TraceId).ToList();
        Assert.True(trace.Any(s => s.Source.Name == "Marten"), string.Join("\n", trace.Select(s => $"{s.Source.Name}: {s.DisplayName}")));
    }

    [Fact]
    public async Task BackgroundFollowers_WithTracesOn_StartNoTraces()
    {
        await telemetry.StartAsync(fixture);
        // The read side polls the log every 250 ms; a write makes the followers read it too.
        await telemetry.Host.CreateClient().RegisterAsync();
        await Task.Delay(TimeSpan.FromSeconds(1));

        var roots = telemetry.Spans.Where(s => s.ParentSpanId == default).ToList();

        Assert.NotEmpty(roots);
        Assert.All(roots, s => Assert.True(s.Kind == ActivityKind.Server, $"{s.Source.Name}: {s.DisplayName} is a root"));
    }

    private static string Statement(Activity span) =>
        (span.GetTagItem("db.query.text") ?? span.GetTagItem("db.statement"))?.ToString() ?? "";

    private static bool DescendsFrom(Activity span, Activity ancestor, Dictionary<ActivitySpanId, Activity> byId)
    {
        for (var parent = span.ParentSpanId; parent != default; parent = byId.TryGetValue(parent, out var p) ? p.ParentSpanId : default)
        {
            if (parent == ancestor.SpanId)
            {
                return true;
            }
        }

        return false;
    }

    private static async Task<T> WaitForAsync<T>(Func<T?> find)
        where T : class
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            if (find() is { } found)
            {
                return found;
            }

            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(10), "Not seen within 10 s.");
            await Task.Delay(50);
        }
    }
}

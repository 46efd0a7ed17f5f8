using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using ClaimStore.IntegrationTests.Infrastructure;

namespace ClaimStore.IntegrationTests.Telemetry;

/// <summary>
/// <c>/metrics</c> as Prometheus scrapes it. ClaimStore's instruments are per process, and other test
/// hosts write meanwhile: values are checked to have moved at least as far as this test moved them.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class MetricsTests(ApiFixture fixture, TelemetryHost telemetry) : IClassFixture<TelemetryHost>
{
    [Fact]
    public async Task Metrics_AfterClaimsWritten_ClaimStoreInstrumentsMove()
    {
        await telemetry.StartAsync(fixture);
        var host = telemetry.Host;
        var admin = host.CreateClient(ApiFixture.AdminKey);
        var client = host.CreateClient();
        var actorId = await client.RegisterAsync();
        var before = await ScrapeAsync(admin);

        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.Created, (await client.PostJsonAsync($"/actors/{actorId}/claims", HttpExtensions.ExampleClaim())).StatusCode);
        }

        var invalid = HttpExtensions.ExampleClaim();
        invalid["stance"] = "maybe";
        Assert.Equal(HttpStatusCode.BadRequest, (await client.PostJsonAsync($"/actors/{actorId}/claims", invalid)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await host.CreateClient(apiKey: null).GetAsync("/actors")).StatusCode);

        var after = await ScrapeUntilAsync(admin, s => s.Sum("claimstore_claims_appended_total") >= before.Sum("claimstore_claims_appended_total") + 5);
        Assert.True(Moved(before, after, "claimstore_append_duration_seconds_count") >= 5);
        Assert.True(Moved(before, after, "claimstore_commit_claims_sum") >= 5);
        Assert.True(Moved(before, after, "claimstore_commit_claims_count") >= 1);
        Assert.True(Moved(before, after, "claimstore_requests_rejected_total", "reason=\"invalid\"") >= 1);
        Assert.True(Moved(before, after, "claimstore_requests_rejected_total", "reason=\"unauthenticated\"") >= 1);
        Assert.True(after.Has("claimstore_commits_in_flight"));
        Assert.True(after.Has("claimstore_read_side_lag_events"));
        Assert.True(after.Has("claimstore_read_side_lag_seconds"));
        // Orleans', ASP.NET Core's and the runtime's instruments are there too.
        Assert.Contains(after.SampleNames, n => n.StartsWith("orleans_", StringComparison.Ordinal));
        Assert.True(after.Has("http_server_request_duration_seconds_count"));
        Assert.True(after.Has("dotnet_gc_collections_total"));
        // The per-request and per-buffer ASP.NET Core instruments the host drops are not.
        Assert.DoesNotContain(after.SampleNames, n => n.StartsWith("aspnetcore_memory_pool_", StringComparison.Ordinal)
            || n.StartsWith("aspnetcore_routing_match_attempts", StringComparison.Ordinal)
            || n.StartsWith("aspnetcore_authentication_authenticate_duration", StringComparison.Ordinal)
            || n.StartsWith("aspnetcore_authorization_attempts", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Metrics_WhileAFeedIsFollowed_CountItsClient()
    {
        await telemetry.StartAsync(fixture);
        var admin = telemetry.Host.CreateClient(ApiFixture.AdminKey);
        var before = (await ScrapeAsync(admin)).Sum("claimstore_feed_clients", "feed=\"events\"");

        using var request = new HttpRequestMessage(HttpMethod.Get, "/events/stream");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        using (var feed = await telemetry.Host.CreateClient(ApiFixture.ReaderKey).SendAsync(request, HttpCompletionOption.ResponseHeadersRead))
        {
            Assert.Equal(HttpStatusCode.OK, feed.StatusCode);
            await ScrapeUntilAsync(admin, s => s.Sum("claimstore_feed_clients", "feed=\"events\"") >= before + 1);
        }
    }

    private static double Moved(PrometheusText before, PrometheusText after, string name, string labels = "") =>
        after.Sum(name, labels) - before.Sum(name, labels);

    private static async Task<PrometheusText> ScrapeAsync(HttpClient admin)
    {
        var response = await admin.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
        return PrometheusText.Parse(await response.Content.ReadAsStringAsync());
    }

    // The exporter caches a scrape briefly, and the endpoint's own measurements land after the response.
    private static async Task<PrometheusText> ScrapeUntilAsync(HttpClient admin, Func<PrometheusText, bool> moved)
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            var scrape = await ScrapeAsync(admin);
            if (moved(scrape))
            {
                return scrape;
            }

            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(10), "The metrics did not move within 10 s.");
            await Task.Delay(200);
        }
    }
}

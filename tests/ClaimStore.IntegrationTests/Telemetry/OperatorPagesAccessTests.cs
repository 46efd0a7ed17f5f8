using System.Net;
using ClaimStore.IntegrationTests.Infrastructure;

namespace ClaimStore.IntegrationTests.Telemetry;

/// <summary>Who may open <c>/metrics</c>, the Orleans dashboard and the API reference page.</summary>
[Collection(ApiCollection.Name)]
public sealed class OperatorPagesAccessTests(ApiFixture fixture, TelemetryHost telemetry, ExtraHosts hosts)
    : IClassFixture<TelemetryHost>, IClassFixture<ExtraHosts>
{
    [Theory]
    [InlineData("/metrics", null, HttpStatusCode.Unauthorized)]
    [InlineData("/metrics", ApiFixture.ReaderKey, HttpStatusCode.Forbidden)]
    [InlineData("/metrics", ApiFixture.WriterKey, HttpStatusCode.Forbidden)]
    [InlineData("/metrics", ApiFixture.AdminKey, HttpStatusCode.OK)]
    [InlineData("/dashboard/", null, HttpStatusCode.Unauthorized)]
    [InlineData("/dashboard/", ApiFixture.ReaderKey, HttpStatusCode.Forbidden)]
    [InlineData("/dashboard/", ApiFixture.WriterKey, HttpStatusCode.Forbidden)]
    [InlineData("/dashboard/", ApiFixture.AdminKey, HttpStatusCode.OK)]
    [InlineData("/reference/", null, HttpStatusCode.Unauthorized)]
    [InlineData("/reference/", "test-unknown-key-0b9e", HttpStatusCode.Unauthorized)]
    [InlineData("/reference/", ApiFixture.ReaderKey, HttpStatusCode.OK)]
    public async Task OperatorPage_ByRole_IsServedOrRefused(string path, string? key, HttpStatusCode expected)
    {
        await telemetry.StartAsync(fixture);

        var response = await telemetry.Host.CreateClient(key).GetAsync(path);

        Assert.Equal(expected, response.StatusCode);
        if (expected is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
        {
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
    }

    [Fact]
    public async Task ReferencePage_WithReaderKey_ShowsTheOpenApiDocumentWithItsScriptFromThisHost()
    {
        await telemetry.StartAsync(fixture);
        var reader = telemetry.Host.CreateClient(ApiFixture.ReaderKey);

        var page = await (await reader.GetAsync("/reference/")).Content.ReadAsStringAsync();

        Assert.Contains("openapi/v1.json", page, StringComparison.Ordinal);
        Assert.DoesNotContain("cdn.", page, StringComparison.OrdinalIgnoreCase);
        var script = await reader.GetAsync("/reference/scalar.js");
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
    }

    [Fact]
    public async Task Dashboard_InProductionByDefault_IsNotServed()
    {
        var response = await fixture.CreateClient(ApiFixture.AdminKey).GetAsync("/dashboard/");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Metrics_WithPrometheusOff_AreNotServed()
    {
        var settings = ApiFixture.ApiKeySettings(("admin", ApiFixture.AdminKey, "admin"));
        settings["Telemetry:Prometheus"] = "false";
        var host = await hosts.GetAsync("no-prometheus", () => fixture.AnotherHost(new HostOptions(settings)));

        var response = await host.CreateClient(ApiFixture.AdminKey).GetAsync("/metrics");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Workbench_Footer_LinksTheApiReference()
    {
        var page = await (await fixture.CreateClient(ApiFixture.ReaderKey).GetAsync("/")).Content.ReadAsStringAsync();

        Assert.Contains("<a href=\"/reference\">API reference</a>", page, StringComparison.Ordinal);
    }
}

using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ClaimStore.IntegrationTests.Infrastructure;
using ClaimStore.Storage.Telemetry;

namespace ClaimStore.IntegrationTests.Telemetry;

/// <summary>The Grafana dashboard in docker/ charts only metrics a host exports.</summary>
[Collection(ApiCollection.Name)]
public sealed partial class GrafanaDashboardTests(ApiFixture fixture, TelemetryHost telemetry) : IClassFixture<TelemetryHost>
{
    private static readonly string[] MetricPrefixes = ["claimstore_", "orleans_", "http_", "dotnet_", "db_", "kestrel_", "aspnetcore_"];

    [Fact]
    public async Task GrafanaDashboard_EveryChartedMetric_IsOneTheHostExports()
    {
        var charted = ChartedMetrics(Path.Combine(CheckoutRoot(), "docker", "grafana", "dashboards", "claimstore.json"));
        await telemetry.StartAsync(fixture);
        var host = telemetry.Host;
        var client = host.CreateClient();

        // Move what only moves with use: writes, a feed, a refused request.
        var actorId = await client.RegisterAsync();
        Assert.Equal(HttpStatusCode.Created, (await client.PostJsonAsync($"/actors/{actorId}/claims", HttpExtensions.ExampleClaim())).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await host.CreateClient(apiKey: null).GetAsync("/actors")).StatusCode);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/contradictions/stream");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        using var feed = await host.CreateClient(ApiFixture.ReaderKey).SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        var scrape = PrometheusText.Parse(await (await host.CreateClient(ApiFixture.AdminKey).GetAsync("/metrics")).Content.ReadAsStringAsync());

        // Horizon waits happen only when a read meets appends in flight: those are taken from the meter's
        // instruments, named as the exporter names them (checked against the scrape for the rest).
        var declared = ClaimStoreInstrumentsAsPrometheusNames();
        var undeclared = scrape.Families.Where(f => f.StartsWith("claimstore_", StringComparison.Ordinal)).Except(declared).ToList();
        Assert.Empty(undeclared);
        var exported = scrape.Families.Union(declared).ToHashSet(StringComparer.Ordinal);

        Assert.Contains("claimstore_claims_appended_total", charted);
        // A histogram's series (_bucket, _sum, _count) are exported under the family's name.
        var notExported = charted.Where(name => !exported.Contains(name) && !exported.Contains(HistogramSeries().Replace(name, ""))).ToList();
        Assert.Empty(notExported);
    }

    /// <summary>The metric names of every query of every panel.</summary>
    private static HashSet<string> ChartedMetrics(string dashboardPath)
    {
        var dashboard = JsonNode.Parse(File.ReadAllText(dashboardPath))!;
        var queries = dashboard["panels"]!.AsArray()
            .SelectMany(panel => panel!["targets"]!.AsArray())
            .Select(target => (string)target!["expr"]!)
            .ToList();
        Assert.NotEmpty(queries);
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var query in queries)
        {
            // Label names (in "by (…)" and "{…}") are not metrics.
            var metricsOnly = Grouping().Replace(Selector().Replace(query, ""), "");
            foreach (Match token in Identifier().Matches(metricsOnly))
            {
                if (MetricPrefixes.Any(p => token.Value.StartsWith(p, StringComparison.Ordinal)))
                {
                    names.Add(token.Value);
                }
            }
        }

        return names;
    }

    // The Prometheus exporter's names: dots to underscores, the unit's word for seconds and bytes, _total on counters.
    private static HashSet<string> ClaimStoreInstrumentsAsPrometheusNames()
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, _) =>
            {
                if (instrument.Meter.Name != ClaimStoreMeter.Name)
                {
                    return;
                }

                var name = instrument.Name.Replace('.', '_') + instrument.Unit switch
                {
                    "s" => "_seconds",
                    "By" => "_bytes",
                    _ => "",
                };
                names.Add(instrument is Counter<long> or ObservableCounter<long> ? name + "_total" : name);
            },
        };
        listener.Start();
        return names;
    }

    private static string CheckoutRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ClaimStore.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("No ClaimStore.sln above the test binaries.");
    }

    [GeneratedRegex(@"\{[^}]*\}")]
    private static partial Regex Selector();

    [GeneratedRegex(@"\b(by|without)\s*\([^)]*\)")]
    private static partial Regex Grouping();

    [GeneratedRegex(@"[a-zA-Z_:][a-zA-Z0-9_:]*")]
    private static partial Regex Identifier();

    [GeneratedRegex(@"_(bucket|sum|count)$")]
    private static partial Regex HistogramSeries();
}

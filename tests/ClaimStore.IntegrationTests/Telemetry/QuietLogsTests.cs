using System.Net;
using ClaimStore.IntegrationTests.Infrastructure;

namespace ClaimStore.IntegrationTests.Telemetry;

/// <summary>
/// The logs at the levels the host's own configuration sets (appsettings.json): nothing per request or
/// per grain call, unless <c>Telemetry:RequestLog</c> asks for one line per request.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class QuietLogsTests(ApiFixture fixture, ExtraHosts hosts) : IClassFixture<ExtraHosts>
{
    private const string RequestLogCategory = "ClaimStore.Api.Telemetry.RequestTelemetry";

    [Fact]
    public async Task HundredClaims_WithDefaultLogging_LogNoLinePerRequest()
    {
        var host = await HostAsync("quiet", requestLog: false);
        var client = host.CreateClient();
        var actorId = await client.RegisterAsync();
        var before = host.Logs!.Messages.Count;

        await RecordClaimsAsync(client, actorId, 100);

        var during = host.Logs.Messages.Skip(before).ToList();
        // Anything per request or per grain call would be 100 lines or more; a background line may happen.
        Assert.True(during.Count < 5, $"{during.Count} lines during 100 claims:\n{string.Join('\n', during.Take(20))}");
        Assert.DoesNotContain(during, line => line.Contains(RequestLogCategory, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Claims_WithRequestLogOn_LogOneLinePerRequest()
    {
        var host = await HostAsync("request-log", requestLog: true);
        var client = host.CreateClient();
        var actorId = await client.RegisterAsync();

        await RecordClaimsAsync(client, actorId, 20);

        var lines = host.Logs!.Messages.Where(m => m.Contains(RequestLogCategory, StringComparison.Ordinal)
            && m.Contains($"POST /actors/{actorId}/claims 201", StringComparison.Ordinal)).ToList();
        Assert.Equal(20, lines.Count);
        Assert.All(lines, line => Assert.StartsWith("Information", line, StringComparison.Ordinal));
    }

    private static async Task RecordClaimsAsync(HttpClient client, string actorId, int count)
    {
        for (var i = 0; i < count; i++)
        {
            var response = await client.PostJsonAsync($"/actors/{actorId}/claims", HttpExtensions.ExampleClaim());
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        }
    }

    private Task<ApiFixture> HostAsync(string name, bool requestLog)
    {
        var settings = ApiFixture.ApiKeySettings(("writer", ApiFixture.WriterKey, "writer"));
        settings["Telemetry:RequestLog"] = requestLog ? "true" : "false";
        return hosts.GetAsync(name, () => fixture.AnotherHost(new HostOptions(settings)
        {
            DefaultApiKey = ApiFixture.WriterKey,
            CaptureLogs = true,
            ConfiguredLogLevels = true,
        }));
    }
}

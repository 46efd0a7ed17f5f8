using System.Net;
using ClaimStore.IntegrationTests.Infrastructure;

namespace ClaimStore.IntegrationTests.Api;

[Collection(ApiCollection.Name)]
public sealed class OperationsApiTests(ApiFixture fixture)
{
    private readonly HttpClient _client = fixture.CreateClient();

    [Fact]
    public async Task Health_SiloActiveAndDatabaseUp_Is200()
    {
        var response = await _client.GetAsync("/health");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.JsonAsync();
        Assert.Equal("Active", (string?)body["silo"]);
        Assert.Equal("up", (string?)body["database"]);
    }

    [Fact]
    public async Task Alive_Is200()
    {
        Assert.Equal(HttpStatusCode.OK, (await _client.GetAsync("/alive")).StatusCode);
    }

    [Fact]
    public async Task OpenApi_DescribesEveryContractPath()
    {
        var document = await (await _client.GetAsync("/openapi/v1.json")).JsonAsync();

        var paths = document["paths"]!.AsObject().Select(p => p.Key).ToHashSet();
        Assert.Superset(new HashSet<string>
        {
            "/actors", "/actors/{actorId}", "/actors/{actorId}/claims", "/actors/{actorId}/claims/{claimId}",
            "/actors/{actorId}/claims/{claimId}/retraction", "/claims/batch", "/actors/{actorId}/events", "/events",
            "/health", "/alive", "/actors/{actorId}/positions", "/propositions", "/propositions/{propositionKey}",
            "/contradictions", "/actors/{actorId}/timeline", "/claims", "/events/stream", "/contradictions/stream",
        }, paths);
    }

    [Fact]
    public async Task OpenApi_ReadApiV11_DescribesParametersAndEventStreams()
    {
        var paths = (await (await _client.GetAsync("/openapi/v1.json")).JsonAsync())["paths"]!;

        string[] ParametersOf(string path) =>
            [.. paths[path]!["get"]!["parameters"]!.AsArray().Select(p => (string)p!["name"]!).Order(StringComparer.Ordinal)];
        Assert.Equal(
            ["actorId", "cursor", "includeRetracted", "language", "limit", "propositionKey", "q", "statedFrom", "statedTo"],
            ParametersOf("/claims"));
        Assert.Equal(["actorId", "knownAt", "propositionKey"], ParametersOf("/actors/{actorId}/timeline"));
        Assert.Equal(["Last-Event-ID", "actorId", "afterSequence", "propositionKey"], ParametersOf("/events/stream"));
        Assert.All(new[] { "/events/stream", "/contradictions/stream" }, path =>
            Assert.NotNull(paths[path]!["get"]!["responses"]!["200"]!["content"]!["text/event-stream"]));
    }
}

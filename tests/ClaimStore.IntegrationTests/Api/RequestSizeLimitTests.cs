using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using ClaimStore.IntegrationTests.Infrastructure;

namespace ClaimStore.IntegrationTests.Api;

/// <summary>
/// Body limits as a client meets them: over real HTTP to Kestrel (the test server enforces no
/// limit), 1 MiB per request and 16 MiB for <c>POST /claims/batch</c>.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class RequestSizeLimitTests(ApiFixture fixture, ExtraHosts hosts) : IClassFixture<ExtraHosts>
{
    private const int MiB = 1024 * 1024;

    [Fact]
    public async Task PostClaim_BodyOfExactly1MiB_IsAccepted()
    {
        using var client = await ClientAsync();
        var actorId = await client.RegisterAsync();

        var response = await client.PostAsync($"/actors/{actorId}/claims", Padded(HttpExtensions.ExampleClaim(), MiB));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Fact]
    public async Task PostClaim_BodyOf1MiBAndOneByte_Is413Problem()
    {
        using var client = await ClientAsync();
        var actorId = await client.RegisterAsync();
        var claim = HttpExtensions.ExampleClaim();

        var response = await SendAsync(client, HttpMethod.Post, $"/actors/{actorId}/claims", Padded(claim, MiB + 1));

        await AssertTooLargeAsync(response);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/actors/{actorId}/claims/{claim["claimId"]}")).StatusCode);
    }

    [Fact]
    public async Task PostClaim_ChunkedBodyOver1MiB_Is413Problem()
    {
        using var client = await ClientAsync();
        var actorId = await client.RegisterAsync();
        var content = Padded(HttpExtensions.ExampleClaim(), MiB + 4096);
        // No Content-Length: Kestrel has to count the bytes as they are read.
        var chunked = new StreamContent(await content.ReadAsStreamAsync());
        chunked.Headers.ContentType = content.Headers.ContentType;
        var request = new HttpRequestMessage(HttpMethod.Post, $"/actors/{actorId}/claims") { Content = chunked };
        request.Headers.TransferEncodingChunked = true;
        request.Headers.ExpectContinue = true;

        var response = await client.SendAsync(request);

        await AssertTooLargeAsync(response);
    }

    [Fact]
    public async Task PutActor_BodyOver1MiB_Is413Problem()
    {
        using var client = await ClientAsync();
        var actor = new JsonObject { ["name"] = "NATO", ["kind"] = "alliance" };

        var response = await SendAsync(client, HttpMethod.Put, $"/actors/{TestData.ActorId()}", Padded(actor, 2 * MiB));

        await AssertTooLargeAsync(response);
    }

    [Fact]
    public async Task PostBatch_2MiBOfValidClaims_Is200()
    {
        using var client = await ClientAsync();
        var actorId = await client.RegisterAsync();
        var claims = Enumerable.Range(0, 600).Select(_ =>
        {
            var claim = HttpExtensions.ExampleClaim();
            claim["actorId"] = actorId;
            claim["quote"] = new string('q', 3400);
            return (JsonNode)claim;
        });
        var body = new JsonObject { ["claims"] = new JsonArray([.. claims]) }.ToJsonString();

        var response = await client.PostAsync("/claims/batch", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.InRange(Encoding.UTF8.GetByteCount(body), 2 * MiB, 3 * MiB);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.All((await response.JsonAsync())["results"]!.AsArray(), r => Assert.Equal("created", (string?)r!["status"]));
    }

    [Fact]
    public async Task PostBatch_Over16MiB_Is413Problem()
    {
        using var client = await ClientAsync();
        var batch = new JsonObject { ["claims"] = new JsonArray(HttpExtensions.ExampleClaim()) };

        var response = await SendAsync(client, HttpMethod.Post, "/claims/batch", Padded(batch, (17 * MiB) + 1));

        await AssertTooLargeAsync(response, limit: 16 * MiB);
    }

    /// <summary>
    /// A plain client of the Kestrel host that waits as long as it takes for the answer to
    /// <c>Expect: 100-continue</c> (the default second is not enough on a busy test machine).
    /// </summary>
    private async Task<HttpClient> ClientAsync()
    {
        var host = await hosts.GetAsync("kestrel", () => fixture.AnotherHost(
            new HostOptions(ApiFixture.ApiKeySettings(("writer", ApiFixture.WriterKey, "writer"))) { Kestrel = true }));
        using var factoryClient = host.CreateClient();
        var client = new HttpClient(new SocketsHttpHandler { Expect100ContinueTimeout = TimeSpan.FromSeconds(60) })
        {
            BaseAddress = factoryClient.BaseAddress,
        };
        client.DefaultRequestHeaders.Add(ApiFixture.ApiKeyHeader, ApiFixture.WriterKey);
        return client;
    }

    /// <summary>The JSON object with whitespace before its closing brace, to exactly <paramref name="bytes"/> bytes of UTF-8.</summary>
    private static StringContent Padded(JsonObject json, int bytes)
    {
        var text = json.ToJsonString();
        var padding = bytes - Encoding.UTF8.GetByteCount(text);
        var padded = string.Concat(text.AsSpan(0, text.Length - 1), new string(' ', padding), "}");
        var content = new StringContent(padded, Encoding.UTF8, "application/json");
        Assert.Equal(bytes, content.Headers.ContentLength);
        return content;
    }

    /// <summary>
    /// Sends with <c>Expect: 100-continue</c>, as curl does for large bodies: a server that refuses
    /// the body without reading it answers before the client sends it (without, the client may
    /// still be writing when the server closes the connection, and see a broken pipe instead).
    /// </summary>
    private static Task<HttpResponseMessage> SendAsync(HttpClient client, HttpMethod method, string path, HttpContent content)
    {
        var request = new HttpRequestMessage(method, path) { Content = content };
        request.Headers.ExpectContinue = true;
        return client.SendAsync(request);
    }

    private static async Task AssertTooLargeAsync(HttpResponseMessage response, long limit = MiB)
    {
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.JsonAsync();
        Assert.Equal(413, (int?)problem["status"]);
        Assert.Contains($"at most {limit} bytes", (string?)problem["detail"], StringComparison.Ordinal);
    }
}

using System.Net;
using System.Text.Json.Nodes;
using ClaimStore.IntegrationTests.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace ClaimStore.IntegrationTests.Api;

/// <summary>
/// API keys and roles (the shared host knows a reader, a writer and an admin key), hosts without
/// keys, the write rate limit, and keys kept out of the logs.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class AuthApiTests(ApiFixture fixture, ExtraHosts hosts) : IClassFixture<ExtraHosts>
{
    private const string LimitedWriterKey = "test-limited-writer-key-1c7e";
    private const string LimitedBatchKey = "test-limited-batch-key-93ad";
    private const string LimitedReaderWriterKey = "test-limited-rw-key-4b02";
    private const string UnknownKey = "test-unknown-key-d3a85e11";

    [Fact]
    public async Task Write_WithoutKey_Is401ProblemWithApiKeyChallenge()
    {
        var response = await fixture.CreateClient(apiKey: null).PutJsonAsync($"/actors/{TestData.ActorId()}", Actor());

        await AssertProblemAsync(response, HttpStatusCode.Unauthorized, "X-Api-Key");
        Assert.Equal("ApiKey", Assert.Single(response.Headers.WwwAuthenticate).Scheme);
    }

    [Fact]
    public async Task Read_WithoutKey_Is401()
    {
        var response = await fixture.CreateClient(apiKey: null).GetAsync("/actors");

        await AssertProblemAsync(response, HttpStatusCode.Unauthorized, "'reader' role");
    }

    [Fact]
    public async Task Request_WithUnknownKey_Is401AndDoesNotEchoTheKey()
    {
        var response = await fixture.CreateClient(UnknownKey).GetAsync("/actors");

        var body = await AssertProblemAsync(response, HttpStatusCode.Unauthorized, "not known");
        Assert.DoesNotContain(UnknownKey, body, StringComparison.Ordinal);
        Assert.Equal("ApiKey", Assert.Single(response.Headers.WwwAuthenticate).Scheme);
    }

    [Fact]
    public async Task UnknownPath_WithoutKey_Is401NotA404()
    {
        var response = await fixture.CreateClient(apiKey: null).GetAsync("/no-such-endpoint");

        await AssertProblemAsync(response, HttpStatusCode.Unauthorized, "X-Api-Key");
    }

    [Fact]
    public async Task Write_WithReaderKey_Is403Problem()
    {
        var response = await fixture.CreateClient(ApiFixture.ReaderKey).PutJsonAsync($"/actors/{TestData.ActorId()}", Actor());

        await AssertProblemAsync(response, HttpStatusCode.Forbidden, "'writer' role");
    }

    [Fact]
    public async Task Retraction_WithReaderKey_Is403AndTheClaimStaysLive()
    {
        var actorId = await fixture.CreateClient().RegisterAsync();
        var claim = HttpExtensions.ExampleClaim();
        await fixture.CreateClient().PostJsonAsync($"/actors/{actorId}/claims", claim);

        var response = await fixture.CreateClient(ApiFixture.ReaderKey)
            .PostJsonAsync($"/actors/{actorId}/claims/{claim["claimId"]}/retraction", new { reason = "no" });

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var stored = await (await fixture.CreateClient(ApiFixture.ReaderKey).GetAsync($"/actors/{actorId}/claims/{claim["claimId"]}")).JsonAsync();
        Assert.False((bool)stored["retracted"]!);
    }

    [Fact]
    public async Task Read_WithReaderKey_Is200()
    {
        var actorId = await fixture.CreateClient().RegisterAsync();

        var response = await fixture.CreateClient(ApiFixture.ReaderKey).GetAsync($"/actors/{actorId}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData(ApiFixture.WriterKey)]
    [InlineData(ApiFixture.AdminKey)]
    public async Task Writes_WithWriterOrAdminKey_Succeed(string key)
    {
        var client = fixture.CreateClient(key);
        var actorId = TestData.ActorId();

        var registered = await client.PutJsonAsync($"/actors/{actorId}", Actor());
        var recorded = await client.PostJsonAsync($"/actors/{actorId}/claims", HttpExtensions.ExampleClaim());
        var batch = await client.PostJsonAsync("/claims/batch", new JsonObject { ["claims"] = new JsonArray() });
        var read = await client.GetAsync($"/actors/{actorId}/claims");

        Assert.Equal(
            [HttpStatusCode.Created, HttpStatusCode.Created, HttpStatusCode.OK, HttpStatusCode.OK],
            [registered.StatusCode, recorded.StatusCode, batch.StatusCode, read.StatusCode]);
    }

    [Theory]
    [InlineData("/alive")]
    [InlineData("/health")]
    [InlineData("/openapi/v1.json")]
    public async Task OperationalEndpoints_WithoutKey_Are200(string path)
    {
        Assert.Equal(HttpStatusCode.OK, (await fixture.CreateClient(apiKey: null).GetAsync(path)).StatusCode);
    }

    [Fact]
    public void EveryEndpoint_ThatIsNotARead_NeedsAWriterKeyAndIsRateLimited()
    {
        var endpoints = fixture.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>().ToList();
        // The workbench's key form posts the key itself, so it cannot need one (docs/decisions/0011).
        string[] keyForm = ["/ui/key/keep", "/ui/key/forget"];
        var writes = endpoints
            .Where(e => e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods.Any(m => m is not ("GET" or "HEAD")) == true)
            .Where(e => !keyForm.Contains(e.RoutePattern.RawText))
            .ToList();

        Assert.True(writes.Count >= 4, $"{writes.Count} write endpoints");
        Assert.All(writes, e =>
        {
            Assert.Contains(e.Metadata.GetOrderedMetadata<IAuthorizeData>(), a => a.Policy is "writer" or "admin");
            Assert.Contains(e.Metadata.GetOrderedMetadata<Microsoft.AspNetCore.RateLimiting.EnableRateLimitingAttribute>(), a => a.PolicyName == "writes");
        });
        Assert.All(endpoints.Where(e => e.Metadata.GetMetadata<IAllowAnonymous>() is not null),
            e => Assert.Contains(e.RoutePattern.RawText, new[]
            {
                "/alive", "/health", "/openapi/{documentName}.json",
                "/ui/key", "/ui/key/keep", "/ui/key/forget", "/ui/assets/workbench.css", "/ui/assets/workbench.js",
                // The reference page's viewer script and icon (Scalar's, the same for every host); the page itself needs a key.
                "/reference/scalar.js", "/reference/scalar.aspnetcore.js", "/reference/favicon.svg",
            }));
    }

    [Fact]
    public async Task OpenApi_DescribesTheApiKeyOnOperationsThatNeedOne()
    {
        var document = await (await fixture.CreateClient(apiKey: null).GetAsync("/openapi/v1.json")).JsonAsync();

        var scheme = document["components"]!["securitySchemes"]!["ApiKey"]!;
        Assert.Equal(("apiKey", "header", "X-Api-Key"), ((string?)scheme["type"], (string?)scheme["in"], (string?)scheme["name"]));
        var put = document["paths"]!["/actors/{actorId}"]!["put"]!;
        Assert.NotNull(put["security"]);
        Assert.NotNull(put["responses"]!["401"]);
        Assert.NotNull(put["responses"]!["429"]);
        Assert.Null(document["paths"]!["/alive"]!["get"]!["security"]);
    }

    [Fact]
    public async Task ProductionWithoutKeys_Reads_Are200()
    {
        var host = await NoKeysAsync("Production");
        var client = host.CreateClient(apiKey: null);

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/actors")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/events")).StatusCode);
    }

    [Fact]
    public async Task ProductionWithoutKeys_Writes_Are401SayingHowToConfigureKeys()
    {
        var host = await NoKeysAsync("Production");
        var client = host.CreateClient(apiKey: null);
        var actorId = TestData.ActorId();

        var register = await client.PutJsonAsync($"/actors/{actorId}", Actor());
        var batch = await client.PostJsonAsync("/claims/batch", new JsonObject { ["claims"] = new JsonArray() });
        var withSomeKey = await host.CreateClient(UnknownKey).PutJsonAsync($"/actors/{actorId}", Actor());

        foreach (var response in new[] { register, batch, withSomeKey })
        {
            await AssertProblemAsync(response, HttpStatusCode.Unauthorized, "Auth:ApiKeys");
        }

        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/actors/{actorId}")).StatusCode);
    }

    [Fact]
    public async Task DevelopmentWithoutKeys_EverythingIsOpen()
    {
        var client = (await NoKeysAsync("Development")).CreateClient(apiKey: null);
        var actorId = TestData.ActorId();

        var registered = await client.PutJsonAsync($"/actors/{actorId}", Actor());
        var recorded = await client.PostJsonAsync($"/actors/{actorId}/claims", HttpExtensions.ExampleClaim());
        var read = await client.GetAsync($"/actors/{actorId}/claims");

        Assert.Equal(
            [HttpStatusCode.Created, HttpStatusCode.Created, HttpStatusCode.OK],
            [registered.StatusCode, recorded.StatusCode, read.StatusCode]);
    }

    [Fact]
    public async Task Writes_OverTheRateLimit_Are429WithRetryAfter()
    {
        var client = (await RateLimitedAsync()).CreateClient(LimitedWriterKey);

        // Eight at once against a burst of two and one more a second.
        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => client.PutJsonAsync($"/actors/{TestData.ActorId()}", Actor())));

        Assert.True(responses.Count(r => r.StatusCode == HttpStatusCode.Created) >= 2);
        var limited = responses.Where(r => r.StatusCode == HttpStatusCode.TooManyRequests).ToList();
        Assert.True(limited.Count >= 3, $"{limited.Count} of 8 writes were limited.");
        await AssertProblemAsync(limited[0], HttpStatusCode.TooManyRequests, "writes per second");
        Assert.InRange(limited[0].Headers.RetryAfter?.Delta ?? TimeSpan.Zero, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2));
    }

    [Fact]
    public async Task DevelopmentWithoutKeys_WritesAreNotRateLimited()
    {
        var host = await hosts.GetAsync("no-keys-Development-limited", () =>
        {
            var settings = new Dictionary<string, string?>
            {
                ["Auth:RateLimit:PermitsPerSecond"] = "1",
                ["Auth:RateLimit:Burst"] = "1",
            };
            return fixture.AnotherHost(new HostOptions(settings) { Environment = "Development" });
        });
        var client = host.CreateClient(apiKey: null);

        // Eight at once against a burst of one: a key would see seven of them limited.
        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => client.PutJsonAsync($"/actors/{TestData.ActorId()}", Actor())));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.Created, r.StatusCode));
    }

    [Fact]
    public async Task Batch_CountsOnceAgainstTheRateLimit()
    {
        var host = await RateLimitedAsync();
        var actorId = await host.CreateClient(ApiFixture.AdminKey).RegisterAsync();
        var client = host.CreateClient(LimitedBatchKey);
        var batch = new JsonObject
        {
            ["claims"] = new JsonArray([.. Enumerable.Range(0, 5).Select(_ => (JsonNode)WithActor(HttpExtensions.ExampleClaim(), actorId))]),
        };

        // Two batches of five claims fit a burst of two requests.
        var first = await client.PostJsonAsync("/claims/batch", batch.DeepClone());
        var second = await client.PostJsonAsync("/claims/batch", batch.DeepClone());

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (first.StatusCode, second.StatusCode));
        Assert.Equal(5, (await first.JsonAsync())["results"]!.AsArray().Count(r => (string?)r!["status"] == "created"));
    }

    [Fact]
    public async Task Reads_WhileWritesAreLimited_Are200()
    {
        var client = (await RateLimitedAsync()).CreateClient(LimitedReaderWriterKey);
        var writes = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => client.PutJsonAsync($"/actors/{TestData.ActorId()}", Actor())));

        var read = await client.GetAsync("/actors");

        Assert.Contains(writes, w => w.StatusCode == HttpStatusCode.TooManyRequests);
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
    }

    [Fact]
    public async Task ApiKeys_NeverAppearInTheLogs()
    {
        var host = await hosts.GetAsync("logged", () => fixture.AnotherHost(new HostOptions(ApiFixture.ApiKeySettings(
            ("log-reader", ApiFixture.ReaderKey, "reader"), ("log-writer", ApiFixture.WriterKey, "writer")))
        {
            Kestrel = true,
            CaptureLogs = true,
        }));
        var actorId = TestData.ActorId();

        await host.CreateClient(ApiFixture.WriterKey).PutJsonAsync($"/actors/{actorId}", Actor());
        await host.CreateClient(ApiFixture.WriterKey).PostRawAsync($"/actors/{actorId}/claims", "{not json");
        await host.CreateClient(ApiFixture.ReaderKey).PutJsonAsync($"/actors/{actorId}", Actor());
        await host.CreateClient(ApiFixture.ReaderKey).GetAsync($"/actors/{actorId}");
        await host.CreateClient(UnknownKey).GetAsync("/actors");
        await host.CreateClient(apiKey: null).GetAsync("/actors");

        var logs = host.Logs!.Messages.ToList();
        // The capture works: it holds the key names and the refusals, at every level.
        Assert.Contains(logs, m => m.Contains("log-reader, log-writer", StringComparison.Ordinal));
        Assert.Contains(logs, m => m.Contains("was not authenticated", StringComparison.Ordinal));
        Assert.Contains(logs, m => m.StartsWith("Debug ", StringComparison.Ordinal));
        foreach (var key in new[] { ApiFixture.ReaderKey, ApiFixture.WriterKey, UnknownKey })
        {
            Assert.DoesNotContain(logs, m => m.Contains(key, StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task InvalidKeyConfiguration_StopsTheHostAtStartNamingTheMistake()
    {
        var settings = ApiFixture.ApiKeySettings(("ci", ApiFixture.WriterKey, "writer"), ("ops", ApiFixture.AdminKey, "root"));
        settings["Auth:ApiKeys:0:Sha256"] = "not-a-hash";
        await using var host = fixture.AnotherHost(new HostOptions(settings));

        var failure = await Assert.ThrowsAnyAsync<Exception>(host.InitializeAsync);

        Assert.Contains("Auth:ApiKeys:0:Sha256 must be 64 hexadecimal digits", failure.Message, StringComparison.Ordinal);
        Assert.Contains("Auth:ApiKeys:1:Roles has 'root'", failure.Message, StringComparison.Ordinal);
    }

    private Task<ApiFixture> NoKeysAsync(string environment) =>
        hosts.GetAsync($"no-keys-{environment}", () => fixture.AnotherHost(new HostOptions(new Dictionary<string, string?>())
        {
            Environment = environment,
        }));

    private Task<ApiFixture> RateLimitedAsync() =>
        hosts.GetAsync("rate-limited", () =>
        {
            var settings = ApiFixture.ApiKeySettings(
                ("limited-writer", LimitedWriterKey, "writer"),
                ("limited-batch", LimitedBatchKey, "writer"),
                ("limited-rw", LimitedReaderWriterKey, "writer"),
                ("admin", ApiFixture.AdminKey, "admin"));
            settings["Auth:RateLimit:PermitsPerSecond"] = "1";
            settings["Auth:RateLimit:Burst"] = "2";
            return fixture.AnotherHost(new HostOptions(settings));
        });

    private static object Actor() => new { name = "NATO", kind = "alliance" };

    private static JsonObject WithActor(JsonObject claim, string actorId)
    {
        claim["actorId"] = actorId;
        return claim;
    }

    /// <summary>Asserts an <c>application/problem+json</c> answer with this status whose detail says <paramref name="detailPart"/>; returns the body.</summary>
    private static async Task<string> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string detailPart)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var body = await response.Content.ReadAsStringAsync();
        var problem = JsonNode.Parse(body)!;
        Assert.Equal((int)status, (int?)problem["status"]);
        Assert.Contains(detailPart, (string?)problem["detail"], StringComparison.Ordinal);
        return body;
    }
}

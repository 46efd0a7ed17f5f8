using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using ClaimStore.IntegrationTests.Infrastructure;
using Npgsql;
using Xunit.Abstractions;

namespace ClaimStore.IntegrationTests.Api;

/// <summary>
/// Random and malicious bodies at every write endpoint: the answer is always a 4xx problem
/// detail, never a 5xx, and nothing is stored except what a 2xx acknowledged.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class HostileInputTests(ApiFixture fixture, ITestOutputHelper output)
{
    private static readonly string[] Fields =
    [
        "claimId", "subject", "predicate", "object", "stance", "kind", "statedAt", "quote", "language", "source",
        "reportedVia", "spokesperson", "certainty", "quantity", "confidence", "actorId", "name", "aliases", "reason",
        "claims", "min", "max", "unit", "url", "publishedAt", "publisher", "title", "extra", "__proto__", "$where",
    ];

    private static readonly string[] NastyStrings =
    [
        "", " ", "china", "China", "nato'; drop table claimstore.mt_events;--", "\u0000", "a\u0000b", "\ud800", "\udfff",
        "„bedroht uns alle“", "🙂", "\u202e", "<script>alert(1)</script>", "../../etc/passwd", "%00", "null", "true",
        "2024-12-04T00:00:00Z", "2024-12-04", "9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z", "affirms", "denies",
        "denial", "accusation", "ftp://x", "https://example.org/a", "de", "00000000-0000-0000-0000-000000000000",
        "3f2b0c1e-5d6a-4b7c-8d9e-0f1a2b3c4d5e", new string('a', 65), new string('x', 5000),
    ];

    private readonly HttpClient _client = fixture.CreateClient();

    [Fact]
    public async Task RandomBodies_AtEveryWriteEndpoint_Are4xxProblemsOrStoreOnlyWhatWasAcknowledged()
    {
        var actorId = await _client.RegisterAsync();
        var seed = Environment.TickCount;
        output.WriteLine($"seed {seed}");
        var random = new Random(seed);
        var before = await EventCountAsync();
        var acknowledgedAppends = 0;

        for (var i = 0; i < 300; i++)
        {
            var (method, path) = (i % 4) switch
            {
                0 => (HttpMethod.Post, $"/actors/{actorId}/claims"),
                1 => (HttpMethod.Post, "/claims/batch"),
                2 => (HttpMethod.Put, $"/actors/{TestData.ActorId("hostile")}"),
                _ => (HttpMethod.Post, $"/actors/{actorId}/claims/{Guid.NewGuid()}/retraction"),
            };
            var body = RandomValue(random, depth: 0, topLevel: true)?.ToJsonString() ?? "null";
            using var request = new HttpRequestMessage(method, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            var response = await _client.SendAsync(request);

            var status = (int)response.StatusCode;
            Assert.True(status < 500, $"{method} {path} with {Truncate(body)} answered {status}: {await response.Content.ReadAsStringAsync()}");
            if (status >= 400)
            {
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            }
            else if (response.StatusCode == HttpStatusCode.Created)
            {
                acknowledgedAppends++; // a random body that happens to be a valid claim or actor
            }
        }

        Assert.Equal(before + acknowledgedAppends, await EventCountAsync());
    }

    public static TheoryData<string, string, string> MaliciousRequests() => new()
    {
        { "POST", "/actors/{actor}/claims", "{\"subject\": \"x\", \"predicate\": \"y\", \"stance\": \"affirms\", \"statedAt\": \"2024-01-01T00:00:00Z\", \"quantity\": {\"min\": 1e400, \"max\": 2, \"unit\": \"u\"}}" },
        { "POST", "/actors/{actor}/claims", "{\"subject\": \"x\", \"predicate\": \"y\", \"stance\": \"affirms\", \"statedAt\": \"2024-01-01T00:00:00Z\", \"confidence\": 1e308}" },
        { "POST", "/actors/{actor}/claims", "{\"subject\": \"x\", \"predicate\": \"y\", \"stance\": \"affirms\", \"statedAt\": \"2024-01-01T00:00:00Z\", \"quantity\": {\"min\": -5, \"max\": 79228162514264337593543950335, \"unit\": \"u\"}}" },
        { "POST", "/actors/{actor}/claims", "{\"subject\": \"x\", \"predicate\": \"y\", \"stance\": \"affirms\", \"statedAt\": \"2024-01-01T00:00:00Z\", \"quote\": \"a\\u0000b\"}" },
        { "POST", "/actors/{actor}/claims", "{\"subject\": \"x\", \"predicate\": \"y\", \"stance\": \"affirms\", \"statedAt\": \"2024-01-01T00:00:00Z\", \"quote\": \"\\ud800\"}" },
        { "POST", "/actors/{actor}/claims", "{\"subject\": \"x\", \"subject\": \"y\", \"predicate\": \"y\", \"stance\": \"affirms\", \"statedAt\": \"2024-01-01T00:00:00Z\", \"quote\": 5}" },
        { "POST", "/actors/{actor}/claims", new string('[', 10_000) + new string(']', 10_000) },
        { "POST", "/actors/{actor}/claims", "{\"source\": " + string.Concat(Enumerable.Repeat("{\"title\": ", 200)) + "1" + new string('}', 201) },
        { "POST", "/actors/{actor}/claims", "" },
        { "POST", "/actors/{actor}/claims", "null" },
        { "POST", "/claims/batch", "{\"claims\": null}" },
        { "POST", "/claims/batch", "{\"claims\": {\"0\": {}}}" },
        { "POST", "/claims/batch", "{\"claims\": [], \"more\": 1}" },
        { "PUT", "/actors/{actor}", "{\"name\": \"x\", \"kind\": \"state\", \"aliases\": \"not-a-list\"}" },
        { "PUT", "/actors/{actor}", "{\"name\": {\"$gt\": \"\"}, \"kind\": \"state\"}" },
        { "PUT", "/actors/nato'%3B%20drop%20table%20claimstore.mt_events%3B--", "{\"name\": \"x\", \"kind\": \"state\"}" },
        { "POST", "/actors/nato'%3B%20drop%20table%20claimstore.mt_events%3B--/claims", "{\"subject\": \"x\", \"predicate\": \"y\", \"stance\": \"affirms\", \"statedAt\": \"2024-01-01T00:00:00Z\"}" },
        { "POST", "/actors/{actor}/claims/{claim}/retraction", "{\"reason\": 42}" },
        { "POST", "/actors/{actor}/claims/{claim}/retraction", "{\"reason\": \"" + new string('r', 1001) + "\"}" },
    };

    [Theory]
    [MemberData(nameof(MaliciousRequests))]
    public async Task MaliciousRequest_Is4xxProblemAndStoresNothing(string method, string pathTemplate, string body)
    {
        var actorId = await _client.RegisterAsync();
        var claim = HttpExtensions.ExampleClaim();
        var claimId = (string)claim["claimId"]!;
        await _client.PostJsonAsync($"/actors/{actorId}/claims", claim);
        var before = await EventCountAsync();
        var path = pathTemplate.Replace("{actor}", actorId, StringComparison.Ordinal).Replace("{claim}", claimId, StringComparison.Ordinal);

        using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        var response = await _client.SendAsync(request);

        Assert.InRange((int)response.StatusCode, 400, 499);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(before, await EventCountAsync());
        Assert.DoesNotContain("   at ", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvalidUtf8Body_Is400Problem()
    {
        var actorId = await _client.RegisterAsync();
        var before = await EventCountAsync();
        var bytes = Encoding.UTF8.GetBytes("{\"subject\": \"x\", \"predicate\": \"y\", \"stance\": \"affirms\", \"statedAt\": \"2024-01-01T00:00:00Z\", \"quote\": \"AB\"}");
        bytes[^4] = 0xC3; // a lead byte followed by an ASCII byte: not UTF-8
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");

        var response = await _client.PostAsync($"/actors/{actorId}/claims", content);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(before, await EventCountAsync());
    }

    private async Task<long> EventCountAsync()
    {
        await using var connection = new NpgsqlConnection(fixture.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("select count(*) from claimstore.mt_events", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    // Mostly objects at the top (that is where validation has work to do), anything below; no containers past depth 4.
    private static JsonNode? RandomValue(Random random, int depth, bool topLevel = false)
    {
        var kind = topLevel && random.Next(10) < 8 ? 0 : random.Next(depth > 4 ? 2 : 0, 7);
        switch (kind)
        {
            case 0:
                var obj = new JsonObject();
                foreach (var field in Fields.OrderBy(_ => random.Next()).Take(random.Next(0, 10)))
                {
                    obj[field] = RandomValue(random, depth + 1);
                }

                return obj;
            case 1:
                var array = new JsonArray();
                for (var i = random.Next(0, 5); i > 0; i--)
                {
                    array.Add(RandomValue(random, depth + 1));
                }

                return array;
            case 2:
                return NastyStrings[random.Next(NastyStrings.Length)];
            case 3:
                return random.Next(4) switch { 0 => random.NextDouble(), 1 => -random.Next(), 2 => double.MaxValue, _ => random.Next(0, 20_000) };
            case 4:
                return random.Next(2) == 0;
            case 5:
                return null;
            default:
                return JsonValue.Create(decimal.MaxValue);
        }
    }

    private static string Truncate(string body) => body.Length > 300 ? body[..300] + "…" : body;
}

using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using ClaimStore.IntegrationTests.Infrastructure;
using Marten;
using Microsoft.Extensions.DependencyInjection;

namespace ClaimStore.IntegrationTests.Api;

[Collection(ApiCollection.Name)]
public sealed class HistoryApiTests(ApiFixture fixture)
{
    private readonly HttpClient _client = fixture.CreateClient();

    [Fact]
    public async Task GetActorEvents_FromVersion_ReturnsTheRawStreamFromThere()
    {
        var actorId = await _client.RegisterAsync();
        var claim = HttpExtensions.ExampleClaim();
        await _client.PostJsonAsync($"/actors/{actorId}/claims", claim);

        var all = (await (await _client.GetAsync($"/actors/{actorId}/events")).JsonAsync()).AsArray();
        var later = (await (await _client.GetAsync($"/actors/{actorId}/events?fromVersion=2")).JsonAsync()).AsArray();

        Assert.Equal([1L, 2], all.Select(e => (long)e!["version"]!));
        var recorded = Assert.Single(later)!;
        Assert.Equal("ClaimRecorded", (string?)recorded["type"]);
        Assert.Equal((string?)claim["claimId"], (string?)recorded["data"]!["claimId"]);
        Assert.True((long)recorded["sequence"]! > (long)all[0]!["sequence"]!);
    }

    [Fact]
    public async Task GetActorEvents_UnknownActor_Is404()
    {
        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetAsync($"/actors/{TestData.ActorId("ghost")}/events")).StatusCode);
    }

    [Fact]
    public async Task GetEvents_PagedWithNextAfterSequence_VisitsEveryEventOnceInOrder()
    {
        var actorId = await _client.RegisterAsync();
        for (var i = 0; i < 5; i++)
        {
            await _client.PostJsonAsync($"/actors/{actorId}/claims", HttpExtensions.ExampleClaim());
        }

        var seen = new List<(long Sequence, string ActorId, long Version)>();
        long after = 0;
        while (true)
        {
            var page = await (await _client.GetAsync($"/events?afterSequence={after}&limit=2")).JsonAsync();
            var events = page["events"]!.AsArray();
            seen.AddRange(events.Select(e => ((long)e!["sequence"]!, (string)e["actorId"]!, (long)e["version"]!)));
            after = (long)page["nextAfterSequence"]!;
            if (events.Count == 0)
            {
                break;
            }
        }

        Assert.Equal(seen.Select(s => s.Sequence).Order(), seen.Select(s => s.Sequence));
        Assert.Equal(seen.Count, seen.Select(s => s.Sequence).Distinct().Count());
        Assert.Equal([1L, 2, 3, 4, 5, 6], seen.Where(s => s.ActorId == actorId).Select(s => s.Version));
    }

    [Fact]
    public async Task GetEvents_AppendInFlightBelowAnAcknowledgedOne_PagesEndBeforeItUntilItCommits()
    {
        var store = fixture.Services.GetRequiredService<IDocumentStore>();
        await using var inFlight = await InFlightAppend.StartAsync(store, fixture.ConnectionString, TestData.ActorId("early"));
        var actorId = await _client.RegisterAsync();
        await _client.PostJsonAsync($"/actors/{actorId}/claims", HttpExtensions.ExampleClaim());
        var after = inFlight.Sequence - 2; // just before the in-flight actor's registration

        var whileOpen = await ActorsOfPageAsync(after);
        await inFlight.CommitAsync();
        var afterCommit = await ActorsOfPageAsync(after);

        Assert.DoesNotContain(actorId, whileOpen);
        Assert.DoesNotContain(inFlight.ActorId, whileOpen);
        Assert.Equal(2, afterCommit.Count(a => a == inFlight.ActorId));
        Assert.Equal(2, afterCommit.Count(a => a == actorId));
        Assert.True(afterCommit.LastIndexOf(inFlight.ActorId) < afterCommit.IndexOf(actorId));
    }

    private async Task<List<string>> ActorsOfPageAsync(long afterSequence)
    {
        var page = await (await _client.GetAsync($"/events?afterSequence={afterSequence}&limit=1000")).JsonAsync();
        return [.. page["events"]!.AsArray().Select(e => (string)e!["actorId"]!)];
    }

    [Fact]
    public async Task GetEvents_AsNdjson_StreamsTheSameEventsOnePerLine()
    {
        await _client.RegisterAsync();
        var json = (await (await _client.GetAsync("/events?afterSequence=0&limit=1000")).JsonAsync())["events"]!.AsArray();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/events?afterSequence=0&limit={json.Count}");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/x-ndjson"));

        var response = await _client.SendAsync(request);

        Assert.Equal("application/x-ndjson", response.Content.Headers.ContentType?.MediaType);
        var lines = (await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(json.Select(e => (long)e!["sequence"]!), lines.Select(l => (long)JsonNode.Parse(l)!["sequence"]!));
    }

    [Fact]
    public async Task GetEvents_OfTypes_KeepsOnlyThoseAndContinuesAfterTheHorizon()
    {
        var actorId = await _client.RegisterAsync();
        var claims = Enumerable.Range(0, 3).Select(_ => HttpExtensions.ExampleClaim()).ToList();
        foreach (var claim in claims)
        {
            await _client.PostJsonAsync($"/actors/{actorId}/claims", claim);
        }

        var retracted = (string)claims[1]["claimId"]!;
        await _client.PostJsonAsync($"/actors/{actorId}/claims/{retracted}/retraction", new JsonObject());
        var all = (await (await _client.GetAsync("/events?afterSequence=0&limit=1000")).JsonAsync())["events"]!.AsArray();
        var lastOfAll = (long)all[^1]!["sequence"]!;

        var page = await (await _client.GetAsync("/events?afterSequence=0&limit=1000&types=ClaimRetracted")).JsonAsync();
        var both = await (await _client.GetAsync("/events?afterSequence=0&limit=1000&types=ClaimRetracted,ActorRegistered")).JsonAsync();

        var events = page["events"]!.AsArray();
        Assert.All(events, e => Assert.Equal("ClaimRetracted", (string?)e!["type"]));
        Assert.Contains(events, e => (string?)e!["data"]!["claimId"] == retracted);
        Assert.True((long)page["nextAfterSequence"]! >= lastOfAll, "a page that is not full continues after all it looked through");
        Assert.Equal(
            all.Where(e => (string?)e!["type"] is "ClaimRetracted" or "ActorRegistered").Select(e => (long)e!["sequence"]!),
            both["events"]!.AsArray().Select(e => (long)e!["sequence"]!).Where(s => s <= lastOfAll));
    }

    [Theory]
    [InlineData("/events?types=ClaimRecorded,NoSuchEvent", "types")]
    [InlineData("/events?limit=0", "limit")]
    [InlineData("/events?limit=1001", "limit")]
    [InlineData("/events?afterSequence=-1", "afterSequence")]
    [InlineData("/events?limit=abc", "limit")]
    public async Task GetEvents_BadParameters_Is400KeyedByParameter(string path, string field)
    {
        var response = await _client.GetAsync(path);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal([field], await response.ErrorKeysAsync());
    }
}

using System.Net;
using System.Text.Json.Nodes;
using ClaimStore.IntegrationTests.Infrastructure;

namespace ClaimStore.IntegrationTests.Api;

[Collection(ApiCollection.Name)]
public sealed class FeedsApiTests(ApiFixture fixture)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private readonly HttpClient _client = fixture.CreateClient(ApiFixture.WriterKey);

    private async Task<string> PostAsync(string actorId, string subject, string stance, string statedAt)
    {
        var response = await _client.PostJsonAsync($"/actors/{actorId}/claims", new JsonObject
        {
            ["subject"] = subject, ["predicate"] = "sends-drones-to", ["object"] = "russia",
            ["stance"] = stance, ["statedAt"] = statedAt, ["quote"] = "„Wir liefern keine Drohnen.“", ["language"] = "de",
        });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (string)(await response.JsonAsync())["claimId"]!;
    }

    private async Task<long> RegistrationSequenceAsync(string actorId) =>
        (long)(await (await _client.GetAsync($"/actors/{actorId}/events")).JsonAsync())[0]!["sequence"]!;

    private static string ClaimIdOf(StreamMessage message) => (string)JsonNode.Parse(message.Data)!["data"]!["claimId"]!;

    [Fact]
    public async Task EventStream_AfterSequence_SendsEveryLaterEventAsGetEventsShowsIt()
    {
        var actor = await _client.RegisterAsync();
        var registered = await RegistrationSequenceAsync(actor);
        await using var stream = await EventStreamReader.OpenAsync(_client, $"/events/stream?afterSequence={registered - 1}&actorId={actor}");
        var claims = new[]
        {
            await PostAsync(actor, "china", "affirms", "2024-12-04T00:00:00Z"),
            await PostAsync(actor, "iran", "affirms", "2024-12-04T00:00:00Z"),
        };

        var messages = await stream.TakeAsync(3, Wait);
        var page = await (await _client.GetAsync($"/events?afterSequence={registered - 1}&limit=1000")).JsonAsync();

        Assert.Equal(HttpStatusCode.OK, stream.Response.StatusCode);
        Assert.Equal("text/event-stream", stream.Response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(["ActorRegistered", "ClaimRecorded", "ClaimRecorded"], messages.Select(m => m.Event));
        Assert.Equal(claims, messages.Skip(1).Select(ClaimIdOf));
        var logged = page["events"]!.AsArray().Where(e => (string?)e!["actorId"] == actor).ToList();
        Assert.Equal(logged.Select(e => e!.ToJsonString()), messages.Select(m => JsonNode.Parse(m.Data)!.ToJsonString()));
        Assert.Equal(logged.Select(e => ((long)e!["sequence"]!).ToString(System.Globalization.CultureInfo.InvariantCulture)), messages.Select(m => m.Id));
    }

    [Fact]
    public async Task EventStream_NoCursor_StartsWithNewEventsOnly()
    {
        var actor = await _client.RegisterAsync();
        await PostAsync(actor, "china", "affirms", "2024-12-04T00:00:00Z");
        await using var stream = await EventStreamReader.OpenAsync(_client, $"/events/stream?actorId={actor}");

        var claim = await PostAsync(actor, "iran", "denies", "2024-12-05T00:00:00Z");

        Assert.Equal(claim, ClaimIdOf((await stream.TakeAsync(1, Wait))[0]));
    }

    [Fact]
    public async Task EventStream_ReconnectWithLastEventId_EveryLaterEventExactlyOnce()
    {
        var actor = await _client.RegisterAsync();
        var registered = await RegistrationSequenceAsync(actor);
        var claims = new List<string>();
        string lastSeen;
        await using (var first = await EventStreamReader.OpenAsync(_client, $"/events/stream?afterSequence={registered}&actorId={actor}"))
        {
            for (var i = 0; i < 3; i++)
            {
                claims.Add(await PostAsync(actor, "china", i % 2 == 0 ? "affirms" : "denies", $"2024-12-0{i + 1}T00:00:00Z"));
            }

            lastSeen = (await first.TakeAsync(2, Wait))[^1].Id!;
        }

        for (var i = 3; i < 6; i++)
        {
            claims.Add(await PostAsync(actor, "china", i % 2 == 0 ? "affirms" : "denies", $"2024-12-0{i + 1}T00:00:00Z"));
        }

        await using var resumed = await EventStreamReader.OpenAsync(_client, $"/events/stream?afterSequence=0&actorId={actor}", lastSeen);
        var rest = await resumed.TakeAsync(4, Wait);

        Assert.Equal(claims.Skip(2), rest.Select(ClaimIdOf));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => resumed.NextAsync(TimeSpan.FromMilliseconds(700)));
    }

    [Fact]
    public async Task EventStream_PropositionFilter_KeepsItsClaimsAndTheirRetractions()
    {
        var actor = await _client.RegisterAsync();
        var subject = TestData.ActorId("subject");
        await using var stream = await EventStreamReader.OpenAsync(_client, $"/events/stream?propositionKey={subject}:sends-drones-to:russia");

        await PostAsync(actor, "china", "affirms", "2024-12-04T00:00:00Z");
        var onIt = await PostAsync(actor, subject, "affirms", "2024-12-04T00:00:00Z");
        Assert.Equal(HttpStatusCode.OK, (await _client.PostJsonAsync($"/actors/{actor}/claims/{onIt}/retraction", new { })).StatusCode);

        var messages = await stream.TakeAsync(2, Wait);

        Assert.Equal(["ClaimRecorded", "ClaimRetracted"], messages.Select(m => m.Event));
        Assert.All(messages, m => Assert.Equal(onIt, ClaimIdOf(m)));
    }

    [Theory]
    [InlineData("/events/stream?afterSequence=-1", null, "afterSequence")]
    [InlineData("/events/stream?afterSequence=first", null, "afterSequence")]
    [InlineData("/events/stream", "abc", "last-event-id")]
    [InlineData("/events/stream", "-5", "last-event-id")]
    [InlineData("/events/stream?actorId=Not_A_Slug", null, "actorId")]
    [InlineData("/events/stream?propositionKey=china", null, "propositionKey")]
    [InlineData("/contradictions/stream?actorId=NATO", null, "actorId")]
    [InlineData("/contradictions/stream?propositionKey=a:b:c:d", null, "propositionKey")]
    public async Task Streams_InvalidParameter_400NamingIt(string path, string? lastEventId, string field)
    {
        await using var stream = await EventStreamReader.OpenAsync(_client, path, lastEventId);

        Assert.Equal(HttpStatusCode.BadRequest, stream.Response.StatusCode);
        Assert.Equal([field], await stream.Response.ErrorKeysAsync());
    }

    [Fact]
    public async Task Streams_WithoutAKey_401()
    {
        using var anonymous = fixture.CreateClient(apiKey: null);
        await using var events = await EventStreamReader.OpenAsync(anonymous, "/events/stream");
        await using var contradictions = await EventStreamReader.OpenAsync(fixture.CreateClient(ApiFixture.ReaderKey), "/contradictions/stream");

        Assert.Equal(HttpStatusCode.Unauthorized, events.Response.StatusCode);
        Assert.Equal(HttpStatusCode.OK, contradictions.Response.StatusCode);
    }

    [Fact]
    public async Task ContradictionStream_DenialThenRetraction_OpenedThenWithdrawn()
    {
        var (nato, china) = (await _client.RegisterAsync(), await _client.RegisterAsync());
        var subject = TestData.ActorId("subject");
        await using var stream = await EventStreamReader.OpenAsync(_client, $"/contradictions/stream?propositionKey={subject}:sends-drones-to:russia");

        var accusation = await PostAsync(nato, subject, "affirms", "2024-12-04T00:00:00Z");
        var denial = await PostAsync(china, subject, "denies", "2024-12-05T00:00:00Z");
        var opened = (await stream.TakeAsync(1, Wait))[0];
        Assert.Equal(HttpStatusCode.OK, (await _client.PostJsonAsync($"/actors/{china}/claims/{denial}/retraction", new { })).StatusCode);
        var withdrawn = (await stream.TakeAsync(1, Wait))[0];

        var listed = await (await _client.GetAsync($"/contradictions?propositionKey={subject}:sends-drones-to:russia")).JsonAsync();
        var denialEvent = (await (await _client.GetAsync($"/actors/{china}/events")).JsonAsync()).AsArray()[1]!;
        Assert.Equal("contradiction-opened", opened.Event);
        Assert.Equal(((long)denialEvent["sequence"]!).ToString(System.Globalization.CultureInfo.InvariantCulture), opened.Id);
        var contradiction = JsonNode.Parse(opened.Data)!;
        Assert.Equal(("opposing-stances", "open", "2024-12-05T00:00:00+00:00"),
            ((string?)contradiction["kind"], (string?)contradiction["status"], (string?)contradiction["openedAt"]));
        Assert.Equal(new[] { accusation, denial }.Order(), contradiction["claimIds"]!.AsArray().Select(c => (string)c!).Order());
        Assert.Equal("contradiction-withdrawn", withdrawn.Event);
        Assert.Equal(contradiction.ToJsonString(), JsonNode.Parse(withdrawn.Data)!.ToJsonString());
        Assert.Empty(listed.AsArray());
    }

    [Fact]
    public async Task ContradictionStream_LaterAgreement_UpdatedAsResolvedAndMatchesTheList()
    {
        var (nato, china) = (await _client.RegisterAsync(), await _client.RegisterAsync());
        var subject = TestData.ActorId("subject");
        await using var stream = await EventStreamReader.OpenAsync(_client, $"/contradictions/stream?actorId={china}");

        await PostAsync(nato, subject, "affirms", "2024-12-04T00:00:00Z");
        await PostAsync(china, subject, "denies", "2024-12-05T00:00:00Z");
        // Read before the reversal: writes the read side applies together are published as one change.
        var opened = (await stream.TakeAsync(1, Wait))[0];
        await PostAsync(china, subject, "affirms", "2025-03-01T00:00:00Z");
        var messages = await stream.TakeAsync(2, Wait);
        var listed = await (await _client.GetAsync($"/contradictions?actorId={china}")).JsonAsync();

        // The reversal opens a self-reversal and resolves the opposition, in either order.
        Assert.Equal(("contradiction-opened", "open"), (opened.Event, (string?)JsonNode.Parse(opened.Data)!["status"]));
        var byEvent = messages.GroupBy(m => m.Event!).ToDictionary(g => g.Key, g => g.Select(m => JsonNode.Parse(m.Data)!).ToList());
        Assert.Equal(["contradiction-opened", "contradiction-updated"], byEvent.Keys.Order());
        var resolved = Assert.Single(byEvent["contradiction-updated"]);
        Assert.Equal(("opposing-stances", "resolved", "2025-03-01T00:00:00+00:00"),
            ((string?)resolved["kind"], (string?)resolved["status"], (string?)resolved["resolvedAt"]));
        Assert.Equal(
            listed.AsArray().Select(c => c!.ToJsonString()).Order(),
            new[] { resolved, byEvent["contradiction-opened"].Single(c => (string?)c["kind"] == "self-reversal") }.Select(c => c.ToJsonString()).Order());
    }

    [Fact]
    public async Task EventStream_Idle_SendsKeepAliveComments()
    {
        await using var host = fixture.AnotherHost(new HostOptions(new Dictionary<string, string?> { ["Feeds:KeepAliveSeconds"] = "1" })
        {
            Environment = "Development",
        });
        await host.InitializeAsync();
        await using var stream = await EventStreamReader.OpenAsync(host.CreateClient(apiKey: null), $"/events/stream?actorId={TestData.ActorId()}");

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => stream.NextAsync(TimeSpan.FromSeconds(2.5)));

        Assert.InRange(stream.Comments, 2, 3);
    }

    [Fact]
    public async Task EventStream_TwoHostCluster_WrittenOnOneFollowedOnTheOtherAndResumedOnTheFirst()
    {
        var cluster = new Dictionary<string, string?>
        {
            ["Orleans:ClusteringMode"] = "postgres",
            ["Orleans:ClusterId"] = $"feeds-{Guid.NewGuid():N}",
        };
        await using var first = fixture.AnotherHost(new HostOptions(cluster) { Environment = "Development" });
        await using var second = fixture.AnotherHost(new HostOptions(cluster) { Environment = "Development" });
        await Task.WhenAll(first.InitializeAsync(), second.InitializeAsync());
        var (writer, follower) = (first.CreateClient(apiKey: null), second.CreateClient(apiKey: null));
        var actor = await writer.RegisterAsync();
        var registered = (long)(await (await writer.GetAsync($"/actors/{actor}/events")).JsonAsync())[0]!["sequence"]!;
        var claims = new List<string>();
        async Task PostOnFirstAsync(int i)
        {
            var response = await writer.PostJsonAsync($"/actors/{actor}/claims", new JsonObject
            {
                ["subject"] = "china", ["predicate"] = "sends-drones-to", ["object"] = "russia",
                ["stance"] = i % 2 == 0 ? "affirms" : "denies", ["statedAt"] = $"2024-12-0{i + 1}T00:00:00Z",
            });
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            claims.Add((string)(await response.JsonAsync())["claimId"]!);
        }

        string lastSeen;
        await using (var onSecond = await EventStreamReader.OpenAsync(follower, $"/events/stream?afterSequence={registered}&actorId={actor}"))
        {
            for (var i = 0; i < 3; i++)
            {
                await PostOnFirstAsync(i);
            }

            var seen = await onSecond.TakeAsync(3, Wait);
            Assert.Equal(claims, seen.Select(ClaimIdOf));
            lastSeen = seen[1].Id!;
        }

        for (var i = 3; i < 5; i++)
        {
            await PostOnFirstAsync(i);
        }

        await using var onFirst = await EventStreamReader.OpenAsync(writer, $"/events/stream?actorId={actor}", lastSeen);
        var rest = await onFirst.TakeAsync(3, Wait);

        Assert.Equal(claims.Skip(2), rest.Select(ClaimIdOf));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => onFirst.NextAsync(TimeSpan.FromMilliseconds(700)));
    }
}

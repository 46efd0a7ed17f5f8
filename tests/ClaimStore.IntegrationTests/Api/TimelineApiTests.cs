using System.Net;
using System.Text.Json.Nodes;
using ClaimStore.IntegrationTests.Infrastructure;

namespace ClaimStore.IntegrationTests.Api;

[Collection(ApiCollection.Name)]
public sealed class TimelineApiTests(ApiFixture fixture)
{
    private readonly HttpClient _client = fixture.CreateClient();

    private async Task<string> PostAsync(
        string actorId, string subject, string stance, string statedAt, string certainty = "certain", JsonObject? quantity = null)
    {
        var claim = new JsonObject
        {
            ["subject"] = subject, ["predicate"] = "sends-troops-to", ["object"] = "russia",
            ["stance"] = stance, ["statedAt"] = statedAt, ["certainty"] = certainty,
        };
        if (quantity is not null)
        {
            claim["quantity"] = quantity;
        }

        var response = await _client.PostJsonAsync($"/actors/{actorId}/claims", claim);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (string)(await response.JsonAsync())["claimId"]!;
    }

    private async Task<JsonNode> TimelineAsync(string actorId, string query = "")
    {
        var response = await _client.GetAsync($"/actors/{actorId}/timeline{query}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.JsonAsync();
    }

    /// <summary>Each period as "stance from→to [claims]", to compare whole timelines at a glance.</summary>
    private static string[] Periods(JsonNode proposition, Dictionary<string, string> names) =>
        [.. proposition["periods"]!.AsArray().Select(p =>
            $"{p!["stance"]} {(string?)p["certainty"]} {p["quantity"]?["min"]} {Day(p["from"])}→{Day(p["to"])} "
            + $"[{string.Join(",", p["claimIds"]!.AsArray().Select(id => names[(string)id!]))}]")];

    private static string Day(JsonNode? time) => time is null ? "now" : ((string)time!)[..10];

    [Fact]
    public async Task Timeline_ReversalAndBackDatedDenial_PeriodsFollowValidTimeNotArrival()
    {
        var russia = await _client.RegisterAsync(name: "Russia");
        var subject = TestData.ActorId("subject");
        var names = new Dictionary<string, string>
        {
            [await PostAsync(russia, subject, "affirms", "2025-04-26T00:00:00Z")] = "confirm",
            [await PostAsync(russia, subject, "denies", "2024-10-24T00:00:00Z")] = "fake",
            [await PostAsync(russia, subject, "denies", "2024-12-01T00:00:00Z")] = "again",
            [await PostAsync(russia, subject, "denies", "2024-06-01T00:00:00Z")] = "backdated",
            [await PostAsync(russia, subject, "affirms", "2025-06-01T00:00:00Z")] = "repeat",
        };

        var timeline = await TimelineAsync(russia);

        var proposition = Assert.Single(timeline["propositions"]!.AsArray())!;
        Assert.Equal($"{subject}:sends-troops-to:russia", (string?)proposition["propositionKey"]);
        Assert.Equal(
            ["denies certain  2024-06-01→2025-04-26 [backdated,fake,again]", "affirms certain  2025-04-26→now [confirm,repeat]"],
            Periods(proposition, names));
        Assert.Equal(russia, (string?)timeline["actorId"]);
        Assert.Null(timeline["knownAt"]);
    }

    [Fact]
    public async Task Timeline_RetractedReversal_PeriodsMergeAndKnownAtStillSeesThem()
    {
        var actor = await _client.RegisterAsync();
        var subject = TestData.ActorId("subject");
        var first = await PostAsync(actor, subject, "affirms", "2024-01-01T00:00:00Z");
        var reversal = await PostAsync(actor, subject, "denies", "2024-02-01T00:00:00Z");
        var third = await PostAsync(actor, subject, "affirms", "2024-03-01T00:00:00Z");
        var names = new Dictionary<string, string> { [first] = "first", [reversal] = "reversal", [third] = "third" };
        await Task.Delay(20);
        var beforeRetraction = DateTimeOffset.UtcNow;
        await Task.Delay(20);
        var retraction = await _client.PostJsonAsync($"/actors/{actor}/claims/{reversal}/retraction", new { reason = "misattributed" });
        Assert.Equal(HttpStatusCode.OK, retraction.StatusCode);

        var now = await TimelineAsync(actor);
        var known = await TimelineAsync(actor, $"?knownAt={Uri.EscapeDataString(beforeRetraction.ToString("O"))}");

        Assert.Equal(["affirms certain  2024-01-01→now [first,third]"], Periods(now["propositions"]![0]!, names));
        Assert.Equal(
            ["affirms certain  2024-01-01→2024-02-01 [first]", "denies certain  2024-02-01→2024-03-01 [reversal]",
             "affirms certain  2024-03-01→now [third]"],
            Periods(known["propositions"]![0]!, names));
        Assert.Equal(beforeRetraction.UtcDateTime, DateTimeOffset.Parse((string)known["knownAt"]!).UtcDateTime);
    }

    [Fact]
    public async Task Timeline_KnownAtBeforeALaterClaim_LeavesItOut()
    {
        var actor = await _client.RegisterAsync();
        var subject = TestData.ActorId("subject");
        var first = await PostAsync(actor, subject, "affirms", "2024-05-01T00:00:00Z");
        await Task.Delay(20);
        var between = DateTimeOffset.UtcNow;
        await Task.Delay(20);
        // Recorded later but stated earlier: only an observer after its recording sees the earlier period.
        var earlier = await PostAsync(actor, subject, "denies", "2024-01-01T00:00:00Z");
        var names = new Dictionary<string, string> { [first] = "first", [earlier] = "earlier" };

        var then = await TimelineAsync(actor, $"?knownAt={Uri.EscapeDataString(between.ToString("O"))}");
        var now = await TimelineAsync(actor);

        Assert.Equal(["affirms certain  2024-05-01→now [first]"], Periods(then["propositions"]![0]!, names));
        Assert.Equal(
            ["denies certain  2024-01-01→2024-05-01 [earlier]", "affirms certain  2024-05-01→now [first]"],
            Periods(now["propositions"]![0]!, names));
    }

    [Fact]
    public async Task Timeline_CertaintyQuantityAndSameInstant_StartNewPeriodsWhereThePositionChanges()
    {
        var actor = await _client.RegisterAsync();
        var subject = TestData.ActorId("subject");
        JsonObject Estimate() => new() { ["min"] = 10000, ["max"] = 12000, ["unit"] = "soldiers" };
        var names = new Dictionary<string, string>
        {
            [await PostAsync(actor, subject, "affirms", "2024-01-01T00:00:00Z", "possible")] = "hedged",
            [await PostAsync(actor, subject, "affirms", "2024-02-01T00:00:00Z")] = "certain",
            [await PostAsync(actor, subject, "affirms", "2024-03-01T00:00:00Z", quantity: Estimate())] = "estimate",
            // Two claims at one instant take effect together; the later appended one holds.
            [await PostAsync(actor, subject, "denies", "2024-04-01T00:00:00Z")] = "tieDenies",
            [await PostAsync(actor, subject, "affirms", "2024-04-01T00:00:00Z", quantity: Estimate())] = "tieAffirms",
        };

        var timeline = await TimelineAsync(actor);

        Assert.Equal(
            ["affirms possible  2024-01-01→2024-02-01 [hedged]", "affirms certain  2024-02-01→2024-03-01 [certain]",
             "affirms certain 10000 2024-03-01→now [estimate,tieDenies,tieAffirms]"],
            Periods(timeline["propositions"]![0]!, names));
    }

    [Fact]
    public async Task Timeline_EveryPeriodStart_IsThePositionAsOfThatInstant()
    {
        var actor = await _client.RegisterAsync();
        var subject = TestData.ActorId("subject");
        foreach (var (stance, day) in new[] { ("affirms", "03"), ("denies", "01"), ("denies", "05"), ("affirms", "02"), ("affirms", "07") })
        {
            await PostAsync(actor, subject, stance, $"2024-01-{day}T00:00:00Z");
        }

        var periods = (await TimelineAsync(actor))["propositions"]![0]!["periods"]!.AsArray();

        Assert.Equal(4, periods.Count);
        foreach (var period in periods)
        {
            var asOf = Uri.EscapeDataString((string)period!["from"]!);
            var position = (await (await _client.GetAsync($"/actors/{actor}/positions?asOf={asOf}")).JsonAsync())["positions"]![0]!;
            Assert.Equal((string?)period["stance"], (string?)position["stance"]);
            Assert.Equal((string?)period["claimIds"]![0], (string?)position["claimId"]);
        }
    }

    [Fact]
    public async Task Timeline_PropositionKeyFilter_KeepsOneAndAnUnknownKeyGivesNone()
    {
        var actor = await _client.RegisterAsync();
        var (one, other) = (TestData.ActorId("subject"), TestData.ActorId("subject"));
        await PostAsync(actor, one, "affirms", "2024-01-01T00:00:00Z");
        await PostAsync(actor, other, "denies", "2024-01-01T00:00:00Z");

        var all = await TimelineAsync(actor);
        var filtered = await TimelineAsync(actor, $"?propositionKey={other}:sends-troops-to:russia");
        var unknown = await TimelineAsync(actor, "?propositionKey=nobody:says:anything");

        Assert.Equal(
            [.. new[] { one, other }.Select(s => $"{s}:sends-troops-to:russia").Order(StringComparer.Ordinal)],
            all["propositions"]!.AsArray().Select(p => (string?)p!["propositionKey"]));
        Assert.Equal($"{other}:sends-troops-to:russia", (string?)Assert.Single(filtered["propositions"]!.AsArray())!["propositionKey"]);
        Assert.Empty(unknown["propositions"]!.AsArray());
    }

    [Theory]
    [InlineData("?knownAt=2024-12-04", "knownAt")]
    [InlineData("?propositionKey=China:sends", "propositionKey")]
    [InlineData("?propositionKey=china", "propositionKey")]
    public async Task Timeline_InvalidParameter_400NamingIt(string query, string field)
    {
        var actor = await _client.RegisterAsync();

        var response = await _client.GetAsync($"/actors/{actor}/timeline{query}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal([field], await response.ErrorKeysAsync());
    }

    [Fact]
    public async Task Timeline_UnregisteredActor_404()
    {
        var response = await _client.GetAsync($"/actors/{TestData.ActorId()}/timeline");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }
}

using System.Net;
using System.Text.Json.Nodes;
using ClaimStore.IntegrationTests.Infrastructure;

namespace ClaimStore.IntegrationTests.Api;

[Collection(ApiCollection.Name)]
public sealed class ReadSideApiTests(ApiFixture fixture)
{
    private readonly HttpClient _client = fixture.CreateClient();

    /// <summary>A proposition no other test writes about.</summary>
    private static string Subject() => TestData.ActorId("subject");

    private async Task<string> PostAsync(string actorId, string subject, string stance, string statedAt, JsonObject? quantity = null)
    {
        var claim = new JsonObject
        {
            ["subject"] = subject, ["predicate"] = "sends-troops-to", ["object"] = "russia",
            ["stance"] = stance, ["statedAt"] = statedAt,
        };
        if (quantity is not null)
        {
            claim["quantity"] = quantity;
        }

        var response = await _client.PostJsonAsync($"/actors/{actorId}/claims", claim);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (string)(await response.JsonAsync())["claimId"]!;
    }

    private async Task<JsonArray> ContradictionsAsync(string query) =>
        (await (await _client.GetAsync($"/contradictions?{query}")).JsonAsync()).AsArray();

    [Fact]
    public async Task Positions_ConfirmationEnteredBeforeTheDenial_AnswerDependsOnValidTimeOnly()
    {
        var russia = await _client.RegisterAsync(name: "Russia");
        var subject = Subject();
        var confirmation = await PostAsync(russia, subject, "affirms", "2025-04-28T00:00:00Z");
        var afterFirst = DateTimeOffset.UtcNow;
        await Task.Delay(20);
        var denial = await PostAsync(russia, subject, "denies", "2024-10-25T00:00:00Z");

        var now = await (await _client.GetAsync($"/actors/{russia}/positions")).JsonAsync();
        var between = await (await _client.GetAsync($"/actors/{russia}/positions?asOf=2025-01-01T00:00:00Z")).JsonAsync();
        var before = await (await _client.GetAsync($"/actors/{russia}/positions?asOf=2024-01-01T00:00:00Z")).JsonAsync();
        var known = await (await _client.GetAsync($"/actors/{russia}/positions?knownAt={Uri.EscapeDataString(afterFirst.ToString("O"))}")).JsonAsync();

        var position = now["positions"]![0]!;
        Assert.Equal(("affirms", confirmation, 2), ((string?)position["stance"], (string?)position["claimId"], (int?)position["claimCount"]));
        Assert.Equal($"{subject}:sends-troops-to:russia", (string?)position["propositionKey"]);
        Assert.Equal((denial, "denies"), ((string?)between["positions"]![0]!["claimId"], (string?)between["positions"]![0]!["stance"]));
        Assert.Empty(before["positions"]!.AsArray());
        Assert.Equal((confirmation, 1), ((string?)known["positions"]![0]!["claimId"], (int?)known["positions"]![0]!["claimCount"]));
        Assert.Equal("2025-01-01T00:00:00+00:00", (string?)between["asOf"]);
    }

    [Fact]
    public async Task Positions_Current_ChangeWithTheNextWriteAndMatchAComputedAnswer()
    {
        // Current positions are served from caches (what the grain published to its silo, and the host's
        // JSON per version): a write must show in the very next read, and the cached bytes must be what a
        // computed answer says.
        var actorId = await _client.RegisterAsync();
        var subject = Subject();
        await PostAsync(actorId, subject, "affirms", "2024-10-01T00:00:00Z");
        var first = await (await _client.GetAsync($"/actors/{actorId}/positions")).JsonAsync();
        var again = await (await _client.GetAsync($"/actors/{actorId}/positions")).JsonAsync();
        var reversal = await PostAsync(actorId, subject, "denies", "2024-11-01T00:00:00Z");
        var after = await _client.GetAsync($"/actors/{actorId}/positions");
        var afterJson = await after.JsonAsync();
        var computed = await (await _client.GetAsync($"/actors/{actorId}/positions?asOf=9999-12-31T00:00:00Z")).JsonAsync();

        Assert.Equal(first.ToJsonString(), again.ToJsonString());
        Assert.Equal(("affirms", 1), ((string?)first["positions"]![0]!["stance"], (int?)first["positions"]![0]!["claimCount"]));
        Assert.Equal(("denies", reversal, 2),
            ((string?)afterJson["positions"]![0]!["stance"], (string?)afterJson["positions"]![0]!["claimId"], (int?)afterJson["positions"]![0]!["claimCount"]));
        Assert.Equal("application/json", after.Content.Headers.ContentType?.MediaType);
        Assert.Equal(computed["positions"]!.ToJsonString(), afterJson["positions"]!.ToJsonString());
        Assert.Equal((actorId, null), ((string?)afterJson["actorId"], (string?)afterJson["asOf"]));
    }

    [Fact]
    public async Task Positions_UnknownActorOrBadTime_Is404Or400()
    {
        var actorId = await _client.RegisterAsync();

        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetAsync($"/actors/{TestData.ActorId("ghost")}/positions")).StatusCode);
        var bad = await _client.GetAsync($"/actors/{actorId}/positions?asOf=yesterday&knownAt=2024-01-01");
        Assert.Equal(["asOf", "knownAt"], await bad.ErrorKeysAsync());
    }

    [Fact]
    public async Task Contradictions_DenialAfterAccusation_VisibleAsSoonAsThePostReturns()
    {
        var nato = await _client.RegisterAsync(name: "NATO");
        var china = await _client.RegisterAsync(name: "China");
        var subject = Subject();
        var accusation = await PostAsync(nato, subject, "affirms", "2024-12-04T00:00:00Z");
        var denial = await PostAsync(china, subject, "denies", "2024-12-05T00:00:00Z");

        var found = Assert.Single(await ContradictionsAsync($"propositionKey={subject}:sends-troops-to:russia"))!;

        Assert.Equal("opposing-stances", (string?)found["kind"]);
        Assert.Equal("open", (string?)found["status"]);
        Assert.Equal("2024-12-05T00:00:00+00:00", (string?)found["openedAt"]);
        Assert.Null(found["resolvedAt"]);
        Assert.Equal(new[] { china, nato }.Order(StringComparer.Ordinal), found["actorIds"]!.AsArray().Select(a => (string)a!));
        Assert.Equal(new[] { accusation, denial }.Order(), found["claimIds"]!.AsArray().Select(c => (string)c!).Order());
    }

    [Fact]
    public async Task Contradictions_RetractingTheDenial_RemovesTheContradiction()
    {
        var nato = await _client.RegisterAsync();
        var china = await _client.RegisterAsync();
        var subject = Subject();
        await PostAsync(nato, subject, "affirms", "2024-12-04T00:00:00Z");
        var denial = await PostAsync(china, subject, "denies", "2024-12-05T00:00:00Z");
        Assert.Single(await ContradictionsAsync($"actorId={china}"));

        await _client.PostJsonAsync($"/actors/{china}/claims/{denial}/retraction", new { reason = "misattributed" });

        Assert.Empty(await ContradictionsAsync($"actorId={china}"));
    }

    [Fact]
    public async Task Contradictions_ConcessionResolvesAndReversalIsRecorded_FiltersSelectEach()
    {
        var nato = await _client.RegisterAsync();
        var china = await _client.RegisterAsync();
        var subject = Subject();
        await PostAsync(nato, subject, "affirms", "2024-12-04T00:00:00Z");
        await PostAsync(china, subject, "denies", "2024-12-05T00:00:00Z");
        await PostAsync(china, subject, "affirms", "2025-03-01T00:00:00Z");

        var all = await ContradictionsAsync($"actorId={china}");
        var resolved = Assert.Single(await ContradictionsAsync($"actorId={china}&status=resolved"))!;
        var reversal = Assert.Single(await ContradictionsAsync($"actorId={china}&kind=self-reversal"))!;

        Assert.Equal(2, all.Count);
        Assert.Equal(("opposing-stances", "2025-03-01T00:00:00+00:00"), ((string?)resolved["kind"], (string?)resolved["resolvedAt"]));
        Assert.Equal(("open", "2025-03-01T00:00:00+00:00"), ((string?)reversal["status"], (string?)reversal["openedAt"]));
        Assert.Equal(all.Select(c => (string)c!["openedAt"]!).Order(StringComparer.Ordinal), all.Select(c => (string)c!["openedAt"]!));
    }

    [Fact]
    public async Task Contradictions_EstimatesThatOverlapAgreeAndDisjointOnesConflict()
    {
        var west = await _client.RegisterAsync();
        var ukraine = await _client.RegisterAsync();
        var korea = await _client.RegisterAsync();
        var subject = Subject();
        await PostAsync(west, subject, "affirms", "2024-12-04T00:00:00Z", new JsonObject { ["min"] = 10000, ["max"] = 12000, ["unit"] = "soldiers" });
        await PostAsync(ukraine, subject, "affirms", "2024-12-06T00:00:00Z", new JsonObject { ["min"] = 11000, ["max"] = 13000, ["unit"] = "soldiers" });
        Assert.Empty(await ContradictionsAsync($"propositionKey={subject}:sends-troops-to:russia"));

        await PostAsync(korea, subject, "affirms", "2024-12-08T00:00:00Z", new JsonObject { ["min"] = 0, ["max"] = 100, ["unit"] = "soldiers" });

        var found = await ContradictionsAsync($"propositionKey={subject}:sends-troops-to:russia&kind=incompatible-quantities");
        Assert.Equal(2, found.Count);
        Assert.All(found, c => Assert.Contains(korea, c!["actorIds"]!.AsArray().Select(a => (string)a!)));
    }

    [Fact]
    public async Task Contradictions_BadFilter_Is400()
    {
        var response = await _client.GetAsync("/contradictions?kind=quarrel&status=pending");

        Assert.Equal(["kind", "status"], await response.ErrorKeysAsync());
    }

    [Fact]
    public async Task Propositions_ListAndDetail_ShowWhoAffirmsAndDenies()
    {
        var nato = await _client.RegisterAsync();
        var china = await _client.RegisterAsync();
        var subject = Subject();
        var key = $"{subject}:sends-troops-to:russia";
        await PostAsync(nato, subject, "affirms", "2024-12-04T00:00:00Z");
        var denial = await PostAsync(china, subject, "denies", "2024-12-05T00:00:00Z");

        var list = (await (await _client.GetAsync("/propositions")).JsonAsync()).AsArray();
        var detail = await (await _client.GetAsync($"/propositions/{key}")).JsonAsync();

        var entry = Assert.Single(list, p => (string?)p!["propositionKey"] == key)!;
        Assert.Equal([nato], entry["affirmedBy"]!.AsArray().Select(a => (string)a!));
        Assert.Equal([china], entry["deniedBy"]!.AsArray().Select(a => (string)a!));
        var keys = list.Select(p => (string)p!["propositionKey"]!).ToList();
        Assert.Equal(keys.Order(StringComparer.Ordinal), keys);
        var stance = Assert.Single(detail["stances"]!.AsArray(), s => (string?)s!["actorId"] == china)!;
        Assert.Equal(("denies", denial), ((string?)stance["stance"], (string?)stance["claimId"]));
        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetAsync($"/propositions/{Subject()}:nothing")).StatusCode);
    }
}

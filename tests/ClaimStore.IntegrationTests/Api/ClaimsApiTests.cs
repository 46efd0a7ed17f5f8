using System.Net;
using System.Text.Json.Nodes;
using ClaimStore.IntegrationTests.Infrastructure;

namespace ClaimStore.IntegrationTests.Api;

[Collection(ApiCollection.Name)]
public sealed class ClaimsApiTests(ApiFixture fixture)
{
    private readonly HttpClient _client = fixture.CreateClient();

    [Fact]
    public async Task PostClaim_Valid_Is201WithLocationAndVersion()
    {
        var actorId = await _client.RegisterAsync();
        var claim = HttpExtensions.ExampleClaim();

        var response = await _client.PostJsonAsync($"/actors/{actorId}/claims", claim);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal($"/actors/{actorId}/claims/{claim["claimId"]}", response.Headers.Location?.OriginalString);
        var body = await response.JsonAsync();
        Assert.Equal((string?)claim["claimId"], (string?)body["claimId"]);
        Assert.Equal(actorId, (string?)body["actorId"]);
        Assert.Equal("china:sends-drones-to:russia", (string?)body["propositionKey"]);
        Assert.Equal(2, (long?)body["version"]);
    }

    [Fact]
    public async Task PostClaim_WithoutClaimId_ServerAssignsOne()
    {
        var actorId = await _client.RegisterAsync();
        var claim = HttpExtensions.ExampleClaim();
        claim.Remove("claimId");

        var response = await _client.PostJsonAsync($"/actors/{actorId}/claims", claim);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.True(Guid.TryParse((string?)(await response.JsonAsync())["claimId"], out _));
    }

    [Fact]
    public async Task PostClaim_SameMeaningAgain_Is200SameBodyAndAppendsNothing()
    {
        var actorId = await _client.RegisterAsync();
        var claim = HttpExtensions.ExampleClaim();
        var created = await (await _client.PostJsonAsync($"/actors/{actorId}/claims", claim)).JsonAsync();
        // Same instant in another offset, defaults spelt out: the same stored meaning.
        claim["statedAt"] = "2024-12-04T01:00:00+01:00";
        var bare = claim.DeepClone().AsObject();
        bare["kind"] = "accusation";

        var again = await _client.PostJsonAsync($"/actors/{actorId}/claims", claim);

        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(created.ToJsonString(), (await again.JsonAsync()).ToJsonString());
        var events = (await (await _client.GetAsync($"/actors/{actorId}/events")).JsonAsync()).AsArray();
        Assert.Equal(2, events.Count);
    }

    [Fact]
    public async Task PostClaim_DefaultsOmittedOrSpelledOut_AreTheSameClaim()
    {
        var actorId = await _client.RegisterAsync();
        var withDefaults = HttpExtensions.ExampleClaim();
        withDefaults["kind"] = "assertion";
        withDefaults["certainty"] = "certain";
        var withoutDefaults = withDefaults.DeepClone().AsObject();
        withoutDefaults.Remove("kind");
        withoutDefaults.Remove("certainty");

        await _client.PostJsonAsync($"/actors/{actorId}/claims", withDefaults);
        var again = await _client.PostJsonAsync($"/actors/{actorId}/claims", withoutDefaults);

        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
    }

    [Fact]
    public async Task PostClaim_SameIdOtherContent_Is409AndStoresNothing()
    {
        var actorId = await _client.RegisterAsync();
        var claim = HttpExtensions.ExampleClaim();
        await _client.PostJsonAsync($"/actors/{actorId}/claims", claim);
        claim["quote"] = "Eine andere Aussage.";

        var response = await _client.PostJsonAsync($"/actors/{actorId}/claims", claim);

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var stored = await (await _client.GetAsync($"/actors/{actorId}/claims/{claim["claimId"]}")).JsonAsync();
        Assert.Equal("China wird seinerseits von der Allianz beschuldigt, Drohnen nach Russland geschickt zu haben.", (string?)stored["quote"]);
    }

    [Fact]
    public async Task PostClaim_SameIdUnderAnotherActor_Is409()
    {
        var first = await _client.RegisterAsync();
        var second = await _client.RegisterAsync();
        var claim = HttpExtensions.ExampleClaim();
        await _client.PostJsonAsync($"/actors/{first}/claims", claim);

        var response = await _client.PostJsonAsync($"/actors/{second}/claims", claim);

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetAsync($"/actors/{second}/claims/{claim["claimId"]}")).StatusCode);
    }

    [Fact]
    public async Task PostClaim_UnknownActor_Is404Problem()
    {
        var response = await _client.PostJsonAsync($"/actors/{TestData.ActorId("ghost")}/claims", HttpExtensions.ExampleClaim());

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task PostClaim_InvalidFields_Is400WithEachFieldPath()
    {
        var actorId = await _client.RegisterAsync();
        var claim = HttpExtensions.ExampleClaim();
        claim["subject"] = "China";
        claim["kind"] = "denial";
        claim["statedAt"] = DateTimeOffset.UtcNow.AddDays(3).ToString("O");
        claim["quantity"]!["max"] = 5;
        claim["reportedVia"] = new JsonArray("afp", "dpa", "Reuters");
        claim["confidence"] = 1.5;
        claim["source"]!["url"] = "ftp://example.org";

        var response = await _client.PostJsonAsync($"/actors/{actorId}/claims", claim);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(["confidence", "kind", "quantity.max", "reportedVia[2]", "source.url", "statedAt", "subject"],
            await response.ErrorKeysAsync());
        Assert.Single((await (await _client.GetAsync($"/actors/{actorId}/events")).JsonAsync()).AsArray());
    }

    [Theory]
    [InlineData("{\"subject\": ")]
    [InlineData("[1, 2]")]
    [InlineData("\"text\"")]
    public async Task PostClaim_MalformedJson_Is400Problem(string body)
    {
        var actorId = await _client.RegisterAsync();

        var response = await _client.PostRawAsync($"/actors/{actorId}/claims", body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task PostClaim_WrongTypeAndUnknownField_Is400KeyedByField()
    {
        var actorId = await _client.RegisterAsync();
        var wrongType = HttpExtensions.ExampleClaim();
        wrongType["confidence"] = "high";
        var unknown = HttpExtensions.ExampleClaim();
        unknown["speaker"] = "nato";

        Assert.Equal(["confidence"], await (await _client.PostJsonAsync($"/actors/{actorId}/claims", wrongType)).ErrorKeysAsync());
        Assert.Equal(["speaker"], await (await _client.PostJsonAsync($"/actors/{actorId}/claims", unknown)).ErrorKeysAsync());
    }

    [Fact]
    public async Task PostClaim_TypographicQuotes_AreKeptByteForByte()
    {
        var actorId = await _client.RegisterAsync();
        var claim = HttpExtensions.ExampleClaim();
        const string quote = "Eine Situation, die „bedroht uns alle“warnte er";
        claim["quote"] = quote;

        await _client.PostJsonAsync($"/actors/{actorId}/claims", claim);
        var stored = await _client.GetAsync($"/actors/{actorId}/claims/{claim["claimId"]}");

        Assert.Contains("„bedroht uns alle“warnte", await stored.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(quote, (string?)(await stored.JsonAsync())["quote"]);
    }

    [Fact]
    public async Task GetClaims_InStreamOrderWithVersionAndRecordedAt()
    {
        var actorId = await _client.RegisterAsync();
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var claim = HttpExtensions.ExampleClaim();
            ids.Add((string)claim["claimId"]!);
            await _client.PostJsonAsync($"/actors/{actorId}/claims", claim);
        }

        var claims = (await (await _client.GetAsync($"/actors/{actorId}/claims")).JsonAsync()).AsArray();

        Assert.Equal(ids, claims.Select(c => (string)c!["claimId"]!));
        Assert.Equal([2L, 3, 4], claims.Select(c => (long)c!["version"]!));
        Assert.All(claims, c => Assert.False((bool)c!["retracted"]!));
        Assert.All(claims, c => Assert.NotNull((string?)c!["recordedAt"]));
    }

    [Fact]
    public async Task GetClaims_UnknownActorOrClaim_Is404()
    {
        var actorId = await _client.RegisterAsync();

        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetAsync($"/actors/{TestData.ActorId("ghost")}/claims")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetAsync($"/actors/{actorId}/claims/{Guid.NewGuid()}")).StatusCode);
    }

    [Fact]
    public async Task Retraction_Twice_Is200BothTimesAndAppendsOnce()
    {
        var actorId = await _client.RegisterAsync();
        var claim = HttpExtensions.ExampleClaim();
        await _client.PostJsonAsync($"/actors/{actorId}/claims", claim);

        var first = await _client.PostJsonAsync($"/actors/{actorId}/claims/{claim["claimId"]}/retraction", new { reason = "misattributed" });
        var second = await _client.PostJsonAsync($"/actors/{actorId}/claims/{claim["claimId"]}/retraction", new { reason = "misattributed" });

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.True((bool)(await second.JsonAsync())["retracted"]!);
        var events = (await (await _client.GetAsync($"/actors/{actorId}/events")).JsonAsync()).AsArray();
        Assert.Equal(["ActorRegistered", "ClaimRecorded", "ClaimRetracted"], events.Select(e => (string)e!["type"]!));
    }

    [Fact]
    public async Task Retraction_UnknownClaim_Is404Problem()
    {
        var actorId = await _client.RegisterAsync();

        var response = await _client.PostJsonAsync($"/actors/{actorId}/claims/{Guid.NewGuid()}/retraction", new { reason = "x" });

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Batch_MixedItems_StoresValidOnesAndRejectsTheRestIndividually()
    {
        var actorId = await _client.RegisterAsync();
        var valid = HttpExtensions.ExampleClaim();
        valid["actorId"] = actorId;
        var invalid = HttpExtensions.ExampleClaim();
        invalid["actorId"] = actorId;
        invalid["stance"] = "maybe";
        invalid.Remove("kind");
        var wrongType = new JsonObject { ["actorId"] = actorId, ["subject"] = 42 };
        var unknownActor = HttpExtensions.ExampleClaim();
        unknownActor["actorId"] = TestData.ActorId("ghost");
        var noActor = HttpExtensions.ExampleClaim();
        var body = new JsonObject { ["claims"] = new JsonArray(valid, invalid, wrongType, unknownActor, noActor, valid.DeepClone()) };

        var response = await _client.PostJsonAsync("/claims/batch", body);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var results = (await response.JsonAsync())["results"]!.AsArray();
        Assert.Equal([0, 1, 2, 3, 4, 5], results.Select(r => (int)r!["index"]!));
        Assert.Equal(["created", "rejected", "rejected", "rejected", "rejected", "unchanged"], results.Select(r => (string)r!["status"]!));
        Assert.Equal("stance", results[1]!["errors"]!.AsObject().Single().Key);
        Assert.Equal("subject", results[2]!["errors"]!.AsObject().Single().Key);
        Assert.Equal("actorId", results[3]!["errors"]!.AsObject().Single().Key);
        Assert.Equal("actorId", results[4]!["errors"]!.AsObject().Single().Key);
        Assert.Single((await (await _client.GetAsync($"/actors/{actorId}/claims")).JsonAsync()).AsArray());
    }

    [Fact]
    public async Task Batch_ItemStoredAsASinglePostWouldStoreIt()
    {
        var actorId = await _client.RegisterAsync();
        var claim = HttpExtensions.ExampleClaim();
        var item = claim.DeepClone().AsObject();
        item["actorId"] = actorId;
        await _client.PostJsonAsync("/claims/batch", new JsonObject { ["claims"] = new JsonArray(item) });

        var single = await _client.PostJsonAsync($"/actors/{actorId}/claims", claim);

        Assert.Equal(HttpStatusCode.OK, single.StatusCode);
    }

    [Fact]
    public async Task Batch_OverAThousandItems_Is400()
    {
        var items = new JsonArray([.. Enumerable.Range(0, 1001).Select(_ => (JsonNode)new JsonObject())]);

        var response = await _client.PostJsonAsync("/claims/batch", new JsonObject { ["claims"] = items });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(["claims"], await response.ErrorKeysAsync());
    }
}

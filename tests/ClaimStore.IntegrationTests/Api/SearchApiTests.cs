using System.Net;
using System.Text.Json.Nodes;
using ClaimStore.IntegrationTests.Infrastructure;
using ClaimStore.Storage;
using Npgsql;

namespace ClaimStore.IntegrationTests.Api;

[Collection(ApiCollection.Name)]
public sealed class SearchApiTests(ApiFixture fixture)
{
    private readonly HttpClient _client = fixture.CreateClient();

    private async Task<string> PostAsync(
        string actorId, string quote, string? language, string statedAt = "2024-12-04T00:00:00Z", string subject = "china",
        string? title = null)
    {
        var claim = new JsonObject
        {
            ["subject"] = subject, ["predicate"] = "sends-drones-to", ["object"] = "russia",
            ["stance"] = "affirms", ["statedAt"] = statedAt, ["quote"] = quote,
        };
        if (language is not null)
        {
            claim["language"] = language;
        }

        if (title is not null)
        {
            claim["source"] = new JsonObject { ["title"] = title };
        }

        var response = await _client.PostJsonAsync($"/actors/{actorId}/claims", claim);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (string)(await response.JsonAsync())["claimId"]!;
    }

    private async Task<JsonNode> SearchAsync(string query)
    {
        var response = await _client.GetAsync($"/claims?{query}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.JsonAsync();
    }

    private async Task<string[]> FoundAsync(string query) =>
        [.. (await SearchAsync(query))["claims"]!.AsArray().Select(c => (string)c!["claimId"]!)];

    [Fact]
    public async Task Search_GermanInflection_DrohnenFindsDrohneAndBack()
    {
        var actor = await _client.RegisterAsync();
        var singular = await PostAsync(actor, "Russland setzt eine Drohne aus China ein.", "de");
        var plural = await PostAsync(actor, "„Wir liefern keine Drohnen.“", "de-DE");

        var byPlural = await FoundAsync($"actorId={actor}&q=Drohnen");
        var bySingular = await FoundAsync($"actorId={actor}&q=drohne");

        Assert.Equal(new[] { plural, singular }.Order(), byPlural.Order());
        Assert.Equal(new[] { plural, singular }.Order(), bySingular.Order());
    }

    [Fact]
    public async Task Search_EnglishInflection_TroopsFindsTroop()
    {
        var actor = await _client.RegisterAsync();
        var troop = await PostAsync(actor, "Not a single troop has crossed the border.", "en");
        var troops = await PostAsync(actor, "North Korea sent troops to Russia.", "en-GB");
        await PostAsync(actor, "Drones were delivered.", "en");

        Assert.Equal(new[] { troop, troops }.Order(), (await FoundAsync($"actorId={actor}&q=troops")).Order());
        Assert.Equal(new[] { troop, troops }.Order(), (await FoundAsync($"actorId={actor}&q=Troop")).Order());
    }

    [Fact]
    public async Task Search_NoLanguage_MatchesWordForWord()
    {
        var actor = await _client.RegisterAsync();
        var claim = await PostAsync(actor, "Keine Drohnen geliefert.", null);

        Assert.Equal([claim], await FoundAsync($"actorId={actor}&q=drohnen"));
        Assert.Empty(await FoundAsync($"actorId={actor}&q=Drohne"));
    }

    [Fact]
    public async Task Search_SeveralWords_AllMustOccurInQuoteOrSourceTitle()
    {
        var actor = await _client.RegisterAsync();
        var both = await PostAsync(actor, "Drohnen für Russland.", "de");
        var quoteOnly = await PostAsync(actor, "Drohnen für Iran.", "de");
        var titled = await PostAsync(actor, "Sie liefern Drohnen.", "de", title: "Lieferungen nach Russland");

        Assert.Equal(new[] { both, titled }.Order(), (await FoundAsync($"actorId={actor}&q=Drohne%20Russland")).Order());
        Assert.Equal([quoteOnly], await FoundAsync($"actorId={actor}&q=Iran"));
        Assert.Equal([titled], await FoundAsync($"actorId={actor}&q=Lieferung"));
    }

    [Fact]
    public async Task Search_AClaimJustRecorded_IsFoundByTheNextQuery()
    {
        var actor = await _client.RegisterAsync();
        var word = $"zeitenwende{Guid.NewGuid():N}"[..20];

        var claim = await PostAsync(actor, $"Eine {word} ist da.", "de");

        Assert.Equal([claim], await FoundAsync($"q={word}"));
    }

    [Fact]
    public async Task Search_Filters_CombineWithAnd()
    {
        var (nato, russia) = (await _client.RegisterAsync(), await _client.RegisterAsync());
        var subject = TestData.ActorId("subject");
        var natoOld = await PostAsync(nato, "Drohnen", "de", "2024-01-01T00:00:00Z", subject);
        var natoNew = await PostAsync(nato, "Drones", "en", "2024-06-01T00:00:00Z", subject);
        var natoOther = await PostAsync(nato, "Drohnen", "de-AT", "2024-03-01T00:00:00Z");
        var russian = await PostAsync(russia, "Drohnen", "de", "2024-02-01T00:00:00Z", subject);

        Assert.Equal([natoNew, natoOther, natoOld], await FoundAsync($"actorId={nato}"));
        Assert.Equal([natoNew, russian, natoOld], await FoundAsync($"propositionKey={subject}:sends-drones-to:russia"));
        Assert.Equal([natoOther, natoOld], await FoundAsync($"actorId={nato}&language=de"));
        Assert.Equal([natoOther], await FoundAsync($"actorId={nato}&language=de-at"));
        Assert.Equal([natoOther], await FoundAsync($"actorId={nato}&statedFrom=2024-03-01T00:00:00Z&statedTo=2024-05-31T23:59:59Z"));
        Assert.Equal([natoNew, natoOther], await FoundAsync($"actorId={nato}&statedFrom=2024-03-01T00:00:00%2B00:00"));
        Assert.Equal([russian], await FoundAsync($"actorId={russia}&propositionKey={subject}:sends-drones-to:russia&q=drohne"));
    }

    [Fact]
    public async Task Search_RetractedClaim_LeftOutUnlessAskedFor()
    {
        var actor = await _client.RegisterAsync();
        var kept = await PostAsync(actor, "Drohnen", "de", "2024-01-01T00:00:00Z");
        var retracted = await PostAsync(actor, "Drohnen", "de", "2024-02-01T00:00:00Z");
        Assert.Equal(HttpStatusCode.OK,
            (await _client.PostJsonAsync($"/actors/{actor}/claims/{retracted}/retraction", new { reason = "misattributed" })).StatusCode);

        var live = await SearchAsync($"actorId={actor}&q=Drohne");
        var all = await SearchAsync($"actorId={actor}&q=Drohne&includeRetracted=true");

        Assert.Equal([kept], live["claims"]!.AsArray().Select(c => (string)c!["claimId"]!));
        var shown = all["claims"]!.AsArray();
        Assert.Equal([retracted, kept], shown.Select(c => (string)c!["claimId"]!));
        Assert.Equal((true, "misattributed"), ((bool)shown[0]!["retracted"]!, (string?)shown[0]!["retraction"]!["reason"]));
    }

    [Fact]
    public async Task Search_ResultItem_CarriesTheClaimAsStored()
    {
        var actor = await _client.RegisterAsync();
        var claim = HttpExtensions.ExampleClaim();
        claim["subject"] = TestData.ActorId("subject");
        Assert.Equal(HttpStatusCode.Created, (await _client.PostJsonAsync($"/actors/{actor}/claims", claim)).StatusCode);

        var found = Assert.Single((await SearchAsync($"actorId={actor}"))["claims"]!.AsArray())!;
        var stored = await (await _client.GetAsync($"/actors/{actor}/claims/{claim["claimId"]}")).JsonAsync();

        Assert.Equal(stored.ToJsonString(), found.ToJsonString());
        Assert.Equal("China wird seinerseits von der Allianz beschuldigt, Drohnen nach Russland geschickt zu haben.", (string?)found["quote"]);
    }

    [Fact]
    public async Task Search_PagingWhileWritesGoOn_EveryEarlierClaimOnceInOrder()
    {
        var actor = await _client.RegisterAsync();
        var expected = new List<(string StatedAt, string Id)>();
        for (var i = 0; i < 11; i++)
        {
            // Pairs share an instant, so the claim id decides their order.
            var statedAt = $"2024-03-{10 + i / 2:00}T00:00:00Z";
            expected.Add((statedAt, await PostAsync(actor, "Drohnen", "de", statedAt)));
        }

        var order = expected.OrderByDescending(e => e.StatedAt, StringComparer.Ordinal)
            .ThenBy(e => Guid.Parse(e.Id).ToString(), StringComparer.Ordinal).Select(e => e.Id).ToList();
        var seen = new List<string>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await SearchAsync($"actorId={actor}&q=Drohnen&limit=3" + (cursor is null ? "" : $"&cursor={cursor}"));
            seen.AddRange(page["claims"]!.AsArray().Select(c => (string)c!["claimId"]!));
            cursor = (string?)page["nextCursor"];
            // Writes between pages, before and after the cursor.
            await PostAsync(actor, "Drohnen", "de", "2025-01-01T00:00:00Z");
            pages++;
        }
        while (cursor is not null && pages < 10);

        Assert.Equal(4, pages);
        Assert.Equal(order, seen.Where(order.Contains));
        Assert.Equal(seen.Count, seen.Distinct().Count());
    }

    [Fact]
    public async Task Search_RareWordsBehindTheScannedRows_SamePagesThroughTheIndex()
    {
        // This host reads only a few of the newest rows (Search:ScanRows 2) before it asks the GIN index.
        await using var narrow = fixture.AnotherHost(new HostOptions(new Dictionary<string, string?> { ["Search:ScanRows"] = "2" }));
        await narrow.InitializeAsync();
        var word = $"seltenwort{Guid.NewGuid():N}"[..24];
        var actors = new[] { await _client.RegisterAsync(), await _client.RegisterAsync() };
        var expected = new List<string>();
        for (var i = 0; i < 7; i++)
        {
            expected.Insert(0, await PostAsync(actors[i % 2], $"Alte Meldung {word}", "de", $"200{i}-06-01T00:00:00Z"));
        }

        for (var i = 0; i < 3; i++)
        {
            await PostAsync(actors[0], "Neuere Meldung ohne das Wort", "de", $"2026-0{i + 1}-01T00:00:00Z");
        }

        async Task<List<string>> PagesAsync(HttpClient client)
        {
            var found = new List<string>();
            string? cursor = null;
            do
            {
                var response = await client.GetAsync($"/claims?q={word}&limit=3" + (cursor is null ? "" : $"&cursor={cursor}"));
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                var page = await response.JsonAsync();
                found.AddRange(page["claims"]!.AsArray().Select(c => (string)c!["claimId"]!));
                cursor = (string?)page["nextCursor"];
            }
            while (cursor is not null && found.Count < 20);
            return found;
        }

        // With the index's statistics at hand, the narrow host judges the word too rare to scan for at all.
        await using (var connection = new NpgsqlConnection(fixture.ConnectionString))
        {
            await connection.OpenAsync();
            await using var analyze = new NpgsqlCommand($"analyze {ClaimSearchIndex.Table}", connection);
            await analyze.ExecuteNonQueryAsync();
        }

        Assert.Equal(expected, await PagesAsync(narrow.CreateClient()));
        Assert.Equal(expected, await PagesAsync(_client));
    }

    [Theory]
    [InlineData("O'Neil")]
    [InlineData("back\\slash")]
    [InlineData("colon:word")]
    public async Task Search_QuotesBackslashesAndColonsInWords_FindTheClaim(string words)
    {
        var actor = await _client.RegisterAsync();
        var id = await PostAsync(actor, $"Er sagte: {words} und mehr.", null);

        Assert.Equal([id], await FoundAsync($"actorId={actor}&q={Uri.EscapeDataString(words)}"));
    }

    [Fact]
    public async Task Search_LastPage_HasNoNextCursor()
    {
        var actor = await _client.RegisterAsync();
        await PostAsync(actor, "a", null);
        await PostAsync(actor, "b", null, "2024-01-01T00:00:00Z");

        var exact = await SearchAsync($"actorId={actor}&limit=2");
        var first = await SearchAsync($"actorId={actor}&limit=1");

        Assert.Null((string?)exact["nextCursor"]);
        Assert.Equal(2, exact["claims"]!.AsArray().Count);
        Assert.NotNull((string?)first["nextCursor"]);
    }

    [Theory]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=501", "limit")]
    [InlineData("limit=ten", "limit")]
    [InlineData("statedFrom=2024-12-04", "statedFrom")]
    [InlineData("statedTo=yesterday", "statedTo")]
    [InlineData("statedFrom=2024-12-05T00:00:00Z&statedTo=2024-12-04T00:00:00Z", "statedTo")]
    [InlineData("actorId=Not_A_Slug", "actorId")]
    [InlineData("propositionKey=china", "propositionKey")]
    [InlineData("language=deutsch-", "language")]
    [InlineData("includeRetracted=maybe", "includeRetracted")]
    [InlineData("cursor=bm90LWEtY3Vyc29y", "cursor")]
    public async Task Search_InvalidParameter_400NamingIt(string query, string field)
    {
        var response = await _client.GetAsync($"/claims?{query}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal([field], await response.ErrorKeysAsync());
    }

    [Fact]
    public async Task Search_CursorOfAnotherQuery_400()
    {
        var actor = await _client.RegisterAsync();
        await PostAsync(actor, "Drohnen", "de");
        await PostAsync(actor, "Drohnen", "de", "2024-01-01T00:00:00Z");
        var cursor = (string?)(await SearchAsync($"actorId={actor}&limit=1"))["nextCursor"];

        var other = await _client.GetAsync($"/claims?actorId={actor}&q=Drohnen&cursor={cursor}");
        var same = await _client.GetAsync($"/claims?actorId={actor}&limit=5&cursor={cursor}");

        Assert.Equal(HttpStatusCode.BadRequest, other.StatusCode);
        Assert.Equal(["cursor"], await other.ErrorKeysAsync());
        Assert.Equal(HttpStatusCode.OK, same.StatusCode);
    }
}

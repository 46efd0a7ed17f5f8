using System.Net;
using ClaimStore.IntegrationTests.Infrastructure;
using Npgsql;

namespace ClaimStore.IntegrationTests.Api;

[Collection(ApiCollection.Name)]
public sealed class ActorsApiTests(ApiFixture fixture)
{
    private readonly HttpClient _client = fixture.CreateClient();

    [Fact]
    public async Task PutActor_New_Is201WithTheActor()
    {
        var actorId = TestData.ActorId("nato");

        var response = await _client.PutJsonAsync($"/actors/{actorId}", new { name = "NATO", kind = "alliance", aliases = new[] { "Allianz" } });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal($"/actors/{actorId}", response.Headers.Location?.OriginalString);
        var body = await response.JsonAsync();
        Assert.Equal(actorId, (string?)body["actorId"]);
        Assert.Equal("alliance", (string?)body["kind"]);
        Assert.Equal("Allianz", (string?)body["aliases"]![0]);
        Assert.Equal(0, (int?)body["claimCount"]);
    }

    [Fact]
    public async Task PutActor_SameAgainOrChanged_Is200()
    {
        var actorId = await _client.RegisterAsync();

        var same = await _client.PutJsonAsync($"/actors/{actorId}", new { name = "NATO", kind = "alliance", aliases = new[] { "Allianz" } });
        var changed = await _client.PutJsonAsync($"/actors/{actorId}", new { name = "Nato", kind = "alliance" });

        Assert.Equal(HttpStatusCode.OK, same.StatusCode);
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        var actor = await (await _client.GetAsync($"/actors/{actorId}")).JsonAsync();
        Assert.Equal("Nato", (string?)actor["name"]);
        Assert.Empty(actor["aliases"]!.AsArray());
    }

    [Fact]
    public async Task PutActor_InvalidFields_Is400KeyedByField()
    {
        var response = await _client.PutJsonAsync("/actors/Not_A_Slug", new { name = "", kind = "empire", aliases = new[] { "" } });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(["actorId", "aliases[0]", "kind", "name"], await response.ErrorKeysAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetAsync("/actors/Not_A_Slug")).StatusCode);
    }

    [Fact]
    public async Task GetActor_NeverRegistered_Is404Problem()
    {
        var response = await _client.GetAsync($"/actors/{TestData.ActorId("ghost")}");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task GetActors_SortedByIdWithClaimCountIncludingRetracted()
    {
        var second = await _client.RegisterAsync("zz-" + TestData.ActorId("b"));
        var first = await _client.RegisterAsync("zy-" + TestData.ActorId("a"));
        var claim = HttpExtensions.ExampleClaim();
        await _client.PostJsonAsync($"/actors/{second}/claims", claim);
        await _client.PostJsonAsync($"/actors/{second}/claims", HttpExtensions.ExampleClaim());
        await _client.PostJsonAsync($"/actors/{second}/claims/{claim["claimId"]}/retraction", new { reason = "test" });

        var actors = (await (await _client.GetAsync("/actors")).JsonAsync()).AsArray();

        var ids = actors.Select(a => (string)a!["actorId"]!).ToList();
        Assert.Equal(ids.Order(StringComparer.Ordinal), ids);
        Assert.True(ids.IndexOf(first) < ids.IndexOf(second));
        Assert.Equal(2, (int?)actors.Single(a => (string?)a!["actorId"] == second)!["claimCount"]);
    }

    [Fact]
    public async Task GetActor_AfterClaimsRetractionAndProfileChange_CountsEveryRecordedClaim()
    {
        var actorId = await _client.RegisterAsync();
        var claim = HttpExtensions.ExampleClaim();
        await _client.PostJsonAsync($"/actors/{actorId}/claims", claim);
        await _client.PostJsonAsync($"/actors/{actorId}/claims/{claim["claimId"]}/retraction", new { reason = "test" });
        await _client.PutJsonAsync($"/actors/{actorId}", new { name = "NATO renamed", kind = "alliance", aliases = Array.Empty<string>() });
        await _client.PostJsonAsync($"/actors/{actorId}/claims", HttpExtensions.ExampleClaim());
        await _client.PostJsonAsync($"/actors/{actorId}/claims", HttpExtensions.ExampleClaim());

        var actor = await (await _client.GetAsync($"/actors/{actorId}")).JsonAsync();

        Assert.Equal(("NATO renamed", 3), ((string?)actor["name"], (int?)actor["claimCount"]));
    }

    [Fact]
    public async Task PostClaim_WritesNoActorSummaryDocument()
    {
        var actorId = await _client.RegisterAsync();
        var before = await SummaryRowVersionAsync(actorId);

        await _client.PostJsonAsync($"/actors/{actorId}/claims", HttpExtensions.ExampleClaim());
        var after = await SummaryRowVersionAsync(actorId);

        Assert.NotNull(before);
        Assert.Equal(before, after);
        Assert.Equal(1, (int?)(await (await _client.GetAsync($"/actors/{actorId}")).JsonAsync())["claimCount"]);
    }

    [Fact]
    public async Task GetActor_DocumentFromBeforeTheCountMoved_CountsClaimsFromTheEvents()
    {
        var actorId = await _client.RegisterAsync();
        await _client.PostJsonAsync($"/actors/{actorId}/claims", HttpExtensions.ExampleClaim());
        await _client.PostJsonAsync($"/actors/{actorId}/claims", HttpExtensions.ExampleClaim());
        // The shape claims used to keep up to date: a count of its own (here stale) and no otherEvents.
        await ExecuteAsync(
            "update claimstore.mt_doc_actorsummary set data = (data - 'otherEvents') || '{\"claimCount\": 7}' where id = @id", actorId);
        await _client.PutJsonAsync($"/actors/{actorId}", new { name = "Renamed", kind = "alliance", aliases = Array.Empty<string>() });

        var actor = await (await _client.GetAsync($"/actors/{actorId}")).JsonAsync();
        var listed = (await (await _client.GetAsync("/actors")).JsonAsync()).AsArray().Single(a => (string?)a!["actorId"] == actorId)!;

        Assert.Equal(("Renamed", 2), ((string?)actor["name"], (int?)actor["claimCount"]));
        Assert.Equal(2, (int?)listed["claimCount"]);
    }

    private async Task<string?> SummaryRowVersionAsync(string actorId) =>
        (string?)await ExecuteAsync("select xmin::text from claimstore.mt_doc_actorsummary where id = @id", actorId);

    private async Task<object?> ExecuteAsync(string sql, string actorId)
    {
        await using var connection = new NpgsqlConnection(fixture.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("id", actorId);
        return await command.ExecuteScalarAsync();
    }
}

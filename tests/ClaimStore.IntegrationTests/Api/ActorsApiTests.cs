using System.Net;
using ClaimStore.IntegrationTests.Infrastructure;

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
}

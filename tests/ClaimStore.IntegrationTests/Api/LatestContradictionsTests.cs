using System.Net;
using System.Text.Json.Nodes;
using ClaimStore.Api.Contradictions;
using ClaimStore.IntegrationTests.Infrastructure;
using Mediator;
using Microsoft.Extensions.DependencyInjection;

namespace ClaimStore.IntegrationTests.Api;

/// <summary>The workbench's pages of contradictions (latest first) are the full list's order, cut into pages.</summary>
[Collection(ApiCollection.Name)]
public sealed class LatestContradictionsTests(ApiFixture fixture)
{
    private readonly HttpClient _client = fixture.CreateClient();

    [Fact]
    public async Task GetLatestContradictions_AnyPage_IsThatSliceOfTheFullListLatestFirst()
    {
        var accuser = await _client.RegisterAsync();
        var denier = await _client.RegisterAsync();
        // Five propositions, two of them contradicted on the same day: the tie is ordered by id.
        string[] days = ["2024-03-01", "2024-03-05", "2024-03-05", "2024-03-09", "2024-03-02"];
        foreach (var day in days)
        {
            var subject = TestData.ActorId("latest");
            await PostAsync(accuser, subject, "affirms", "2024-01-01T00:00:00Z");
            await PostAsync(denier, subject, "denies", day + "T00:00:00Z");
        }

        await using var scope = fixture.Services.CreateAsyncScope();
        var mediator = scope.ServiceProvider.GetRequiredService<IMediator>();
        var filter = new GetContradictions(accuser, null, null, "open");
        var expected = (await (await mediator.Send(filter)).ToListAsync())
            .OrderByDescending(c => c.OpenedAt).ThenBy(c => c.ContradictionId, StringComparer.Ordinal)
            .Select(c => c.ContradictionId).ToList();

        Assert.Equal(days.Length, expected.Count);
        foreach (var (skip, take) in new[] { (0, 2), (2, 2), (4, 2), (0, 10), (5, 3) })
        {
            var page = await mediator.Send(new GetLatestContradictions(filter, skip, take));

            Assert.Equal(expected.Count, page.Total);
            Assert.Equal(expected.Skip(skip).Take(take), page.Items.Select(c => c.ContradictionId));
        }
    }

    private async Task PostAsync(string actorId, string subject, string stance, string statedAt)
    {
        var claim = new JsonObject
        {
            ["subject"] = subject, ["predicate"] = "sends-troops-to", ["object"] = "russia",
            ["stance"] = stance, ["statedAt"] = statedAt,
        };
        var response = await _client.PostJsonAsync($"/actors/{actorId}/claims", claim);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }
}

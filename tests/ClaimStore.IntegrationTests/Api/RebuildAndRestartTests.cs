using System.Text.Json.Nodes;
using ClaimStore.IntegrationTests.Infrastructure;
using ClaimStore.Storage;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace ClaimStore.IntegrationTests.Api;

[Collection(ApiCollection.Name)]
public sealed class RebuildAndRestartTests(ApiFixture fixture)
{
    private readonly HttpClient _client = fixture.CreateClient();

    private async Task WriteContestedHistoryAsync()
    {
        var nato = await _client.RegisterAsync();
        var china = await _client.RegisterAsync();
        var subject = TestData.ActorId("rebuilt");
        foreach (var (actor, stance, day) in new[] { (nato, "affirms", 4), (china, "denies", 5), (china, "affirms", 20), (nato, "denies", 25) })
        {
            await _client.PostJsonAsync($"/actors/{actor}/claims", new JsonObject
            {
                ["subject"] = subject, ["predicate"] = "sends-drones-to", ["stance"] = stance,
                ["statedAt"] = $"2024-12-{day:00}T00:00:00Z",
            });
        }
    }

    private static async Task<string> ReadSideAsync(HttpClient client, string actorId)
    {
        var parts = new[] { "/contradictions", "/propositions", "/actors", $"/actors/{actorId}/positions", $"/actors/{actorId}/claims" };
        var answers = await Task.WhenAll(parts.Select(async p => await (await client.GetAsync(p)).Content.ReadAsStringAsync()));
        return string.Join('\n', answers);
    }

    [Fact]
    public async Task Rebuild_FromTheLog_ReproducesTheLiveReadSide()
    {
        await WriteContestedHistoryAsync();
        var live = await ReadSideAsync(_client);
        var actorsBefore = await (await _client.GetAsync("/actors")).Content.ReadAsStringAsync();
        await using (var session = fixture.Services.GetRequiredService<IDocumentStore>().LightweightSession())
        {
            session.DeleteWhere<ActorSummary>(_ => true);
            await session.SaveChangesAsync();
        }

        var output = new StringWriter();
        var report = await ProjectionRebuild.RunAsync(
            fixture.Services.GetRequiredService<IDocumentStore>(), fixture.Services.GetRequiredService<NpgsqlDataSource>(), output, CancellationToken.None);

        Assert.Equal(live, await ReadSideAsync(_client));
        Assert.Contains("\"opposing-stances\"", live, StringComparison.Ordinal);
        Assert.True(report.Contradictions >= 2);
        Assert.Equal(actorsBefore, await (await _client.GetAsync("/actors")).Content.ReadAsStringAsync());
        Assert.Contains("Done:", output.ToString(), StringComparison.Ordinal);
    }

    /// <summary>Every contradiction and proposition, and the detail of each proposition, as the API answers.</summary>
    private static async Task<string> ReadSideAsync(HttpClient client)
    {
        var contradictions = await (await client.GetAsync("/contradictions")).Content.ReadAsStringAsync();
        var propositions = await (await client.GetAsync("/propositions")).JsonAsync();
        var details = await Task.WhenAll(propositions.AsArray().Select(async p =>
            await (await client.GetAsync($"/propositions/{p!["propositionKey"]}")).Content.ReadAsStringAsync()));
        return string.Join('\n', [contradictions, propositions.ToJsonString(), .. details]);
    }

    [Fact]
    public async Task Restart_AnotherHostOnTheSameDatabase_GivesIdenticalAnswers()
    {
        await WriteContestedHistoryAsync();
        var actorId = (string)(await (await _client.GetAsync("/actors")).JsonAsync()).AsArray()[0]!["actorId"]!;
        var before = await ReadSideAsync(_client, actorId);

        await using var restarted = fixture.AnotherHost();
        var after = await ReadSideAsync(restarted.CreateClient(), actorId);

        Assert.Equal(before, after);
        Assert.Contains("opposing-stances", after, StringComparison.Ordinal);
    }
}

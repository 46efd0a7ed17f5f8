using System.Text.Json.Nodes;
using ClaimStore.Api.Operations;
using ClaimStore.Api.ReadModel;
using ClaimStore.Grains.Storage;
using ClaimStore.IntegrationTests.Infrastructure;
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
        var live = await fixture.Services.GetRequiredService<ReadModelFollower>().CurrentAsync(CancellationToken.None);
        var actorsBefore = await (await _client.GetAsync("/actors")).Content.ReadAsStringAsync();
        await using (var session = fixture.Services.GetRequiredService<IDocumentStore>().LightweightSession())
        {
            session.DeleteWhere<ActorSummary>(_ => true);
            await session.SaveChangesAsync();
        }

        var output = new StringWriter();
        var report = await ProjectionRebuild.RunAsync(
            fixture.Services.GetRequiredService<IDocumentStore>(), fixture.Services.GetRequiredService<NpgsqlDataSource>(), output, CancellationToken.None);

        Assert.Equal(live.Sequence, report.ReadModel.Sequence);
        Assert.Equal(Describe(live), Describe(report.ReadModel));
        Assert.Contains(live.Propositions.Values, p => p.Contradictions.Length >= 2);
        Assert.Equal(actorsBefore, await (await _client.GetAsync("/actors")).Content.ReadAsStringAsync());
        Assert.Contains("Done:", output.ToString(), StringComparison.Ordinal);
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

    private static string Describe(ClaimStore.Domain.Propositions.ReadModelSnapshot snapshot) =>
        string.Join('\n', snapshot.Propositions.Values.SelectMany(p =>
            p.Stances.Select(s => $"{p.Key} {s.ActorId} {s.Stance} {s.Since:O} {s.ClaimId}")
            .Concat(p.Contradictions.Select(c => $"{c.ContradictionId} {c.Kind} {string.Join(',', c.ActorIds)} {string.Join(',', c.ClaimIds)} {c.OpenedAt:O} {c.ResolvedAt:O}"))));
}

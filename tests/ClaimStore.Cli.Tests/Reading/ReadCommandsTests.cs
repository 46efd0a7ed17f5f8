using System.Text.Json.Nodes;
using ClaimStore.Cli.Tests.Infrastructure;

namespace ClaimStore.Cli.Tests.Reading;

[Collection(CliCollection.Name)]
public sealed class ReadCommandsTests(SeededStoreFixture fixture)
{
    private async Task<JsonNode> ApiAsync(string path) => JsonNode.Parse(await fixture.Host.Api.GetStringAsync(path))!;

    [Fact]
    public async Task TimelineJson_Actor_SameAsTheApi()
    {
        var timeline = await Claimstore.RunAsync(fixture.Host, "timeline", "russia", "--json");

        Assert.True(timeline.ExitCode == 0, timeline.ToString());
        Assert.True(JsonNode.DeepEquals(await ApiAsync("/actors/russia/timeline"), JsonNode.Parse(timeline.Output)));
    }

    [Fact]
    public async Task Timeline_ActorAndProposition_TableOfPeriods()
    {
        var timeline = await Claimstore.RunAsync(fixture.Host, "timeline", "russia", "--proposition", "north-korea:sends-troops-to:russia");

        Assert.True(timeline.ExitCode == 0, timeline.ToString());
        Assert.Contains("denies", timeline.Output);
        Assert.Contains("2024-10-24", timeline.Output);
        Assert.Contains("2025-04-26", timeline.Output);
        Assert.DoesNotContain("nato:destabilises", timeline.Output);
    }

    [Fact]
    public async Task Timeline_UnknownActor_ExitCodeThreeAndMessage()
    {
        var timeline = await Claimstore.RunAsync(fixture.Host, "timeline", "nobody");

        Assert.Equal(3, timeline.ExitCode);
        Assert.Contains("not registered", timeline.Error);
    }

    [Fact]
    public async Task ContradictionsJson_OpenOfActor_SameAsTheApi()
    {
        var contradictions = await Claimstore.RunAsync(fixture.Host, "contradictions", "--status", "open", "--actor", "the-west", "--json");

        Assert.True(contradictions.ExitCode == 0, contradictions.ToString());
        var expected = await ApiAsync("/contradictions?status=open&actorId=the-west");
        Assert.NotEmpty(expected.AsArray());
        Assert.True(JsonNode.DeepEquals(expected, JsonNode.Parse(contradictions.Output)));
    }

    [Fact]
    public async Task Contradictions_Table_ShowsKindsActorsAndIds()
    {
        var contradictions = await Claimstore.RunAsync(fixture.Host, "contradictions");

        var first = (await ApiAsync("/contradictions")).AsArray()[0]!;
        Assert.True(contradictions.ExitCode == 0, contradictions.ToString());
        Assert.Contains((string)first["contradictionId"]!, contradictions.Output);
        Assert.Contains("incompatible-quantities", contradictions.Output);
    }

    [Fact]
    public async Task SearchJson_GermanWord_FindsTheInflectedQuote()
    {
        var deadline = DateTime.UtcNow.AddSeconds(5);
        CliResult search;
        do
        {
            // The search index follows the log: a claim is findable within a second.
            search = await Claimstore.RunAsync(fixture.Host, "search", "Drohne", "--json");
        }
        while (JsonNode.Parse(search.Output)!.AsArray().Count < 2 && DateTime.UtcNow < deadline);

        Assert.True(search.ExitCode == 0, search.ToString());
        Assert.Equal(["china", "nato"], JsonNode.Parse(search.Output)!.AsArray().Select(c => (string)c!["actorId"]!).Order());
    }

    [Fact]
    public async Task Search_Table_QuoteAndActor()
    {
        var search = await Claimstore.RunAsync(fixture.Host, "search", "destabilise", "--language", "en");

        Assert.True(search.ExitCode == 0, search.ToString());
        Assert.Contains("NATO may destabilise the region.", search.Output);
        Assert.Contains("1 claim.", search.Output);
    }
}

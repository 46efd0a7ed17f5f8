using System.Text.Json.Nodes;
using ClaimStore.Cli.Tests.Infrastructure;

namespace ClaimStore.Cli.Tests.Replay;

[Collection(CliCollection.Name)]
public sealed class ReplayTests(SeededStoreFixture fixture)
{
    private static List<JsonObject> Steps(CliResult result) =>
        [.. result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!.AsObject())];

    private static IEnumerable<JsonObject> Changes(JsonObject step, string list) => step[list]!.AsArray().OfType<JsonObject>();

    [Fact]
    public async Task Replay_WholeLog_EndsWithTheContradictionsTheHostShows()
    {
        var replay = await Claimstore.RunAsync(fixture.Host, "replay", "--json");

        Assert.True(replay.ExitCode == 0, replay.ToString());
        var state = new Dictionary<string, string>();
        foreach (var change in Steps(replay).SelectMany(s => Changes(s, "contradictions")))
        {
            if ((string?)change["change"] == "withdrawn")
            {
                state.Remove((string)change["contradictionId"]!);
            }
            else
            {
                state[(string)change["contradictionId"]!] = (string)change["status"]!;
            }
        }

        var host = JsonNode.Parse(await fixture.Host.Api.GetStringAsync("/contradictions"))!.AsArray()
            .ToDictionary(c => (string)c!["contradictionId"]!, c => (string)c!["status"]!);
        Assert.Equal(host.OrderBy(p => p.Key), state.OrderBy(p => p.Key));
    }

    [Fact]
    public async Task Replay_DenialAndAccusations_ChinaTakesDenialAndBothOppositionsOpenWhenItHeld()
    {
        var replay = await Claimstore.RunAsync(fixture.Host, "replay", "--json");

        var steps = Steps(replay);
        Assert.Single(steps, s => (string?)s["type"] == "ClaimRecorded" && (string?)s["actorId"] == "china" && Changes(s, "positions")
            .Any(p => (string?)p["change"] == "taken" && (string?)p["stance"] == "denies" && (string?)p["since"] == "2024-12-05T09:00:00Z"));
        // The seed's claims went in one batch, appended per actor concurrently: each opposition opens at
        // whichever of the two claims came later in the log, opened as of the denial's statedAt.
        Assert.Equal(
            ["opposing-stances china,nato 2024-12-05T09:00:00Z", "opposing-stances china,the-west 2024-12-05T09:00:00Z"],
            steps.SelectMany(s => Changes(s, "contradictions"))
                .Where(c => (string?)c["change"] == "opened" && (string?)c["kind"] == "opposing-stances" && c["actorIds"]!.AsArray().Any(a => (string?)a == "china")
                    && (string?)c["openedAt"] == "2024-12-05T09:00:00Z")
                .Select(c => $"{c["kind"]} {string.Join(",", c["actorIds"]!.AsArray())} {c["openedAt"]}").Order());
    }

    [Fact]
    public async Task Replay_Retraction_GivesUpThePositionAndWithdrawsTheReversal()
    {
        var replay = await Claimstore.RunAsync(fixture.Host, "replay", "--json");

        var retraction = Steps(replay).Single(s => (string?)s["type"] == "ClaimRetracted");
        Assert.Equal(["given-up affirms", "taken denies"], Changes(retraction, "positions").Select(p => $"{p["change"]} {p["stance"]}").Order());
        Assert.Contains(Changes(retraction, "contradictions"), c => (string?)c["change"] == "withdrawn" && (string?)c["kind"] == "self-reversal");
    }

    [Fact]
    public async Task ReplayText_Actor_PrintsOnlyItsEventsAndContradictions()
    {
        var replay = await Claimstore.RunAsync(fixture.Host, "replay", "--actor", "russia");

        Assert.True(replay.ExitCode == 0, replay.ToString());
        // Each event is a head line (#sequence …) and its changes, indented.
        var events = replay.Output.Split("\n#", StringSplitOptions.RemoveEmptyEntries).Select(e => e.Split('\n', StringSplitOptions.RemoveEmptyEntries)).ToList();
        Assert.NotEmpty(events);
        Assert.All(events, e => Assert.True(
            e[0].Contains(" russia ", StringComparison.Ordinal)
            || e.Skip(1).All(l => l.Contains("contradiction", StringComparison.Ordinal) && l.Contains("russia", StringComparison.Ordinal)),
            string.Join("\n", e)));
        Assert.Contains("position: russia takes affirms (certain) on north-korea:sends-troops-to:russia", replay.Output);
        Assert.Contains("contradiction opened: self-reversal russia on north-korea:sends-troops-to:russia", replay.Output);
    }

    [Fact]
    public async Task ReplayFollow_ClaimPostedWhileFollowing_PrintedLive()
    {
        await using var store = await StoreHost.StartAsync();
        await Seed.Register(store.Api, "nato", "NATO", "alliance");
        using var output = new LiveWriter();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var replay = Claimstore.RunAsync(store, output, stop.Token, "replay", "--follow", "--json");
        while (!output.Text.Contains("ActorRegistered", StringComparison.Ordinal))
        {
            await Task.Delay(50, stop.Token);
        }

        var claim = Seed.Claim("nato", "china", "sends-drones-to", "russia", "affirms", "2024-12-04T00:00:00Z");
        var posted = await store.Api.PostAsync("/claims/batch",
            new StringContent(new JsonObject { ["claims"] = new JsonArray(claim) }.ToJsonString(), System.Text.Encoding.UTF8, "application/json"));
        posted.EnsureSuccessStatusCode();
        while (!output.Text.Contains((string)claim["claimId"]!, StringComparison.Ordinal) && !stop.IsCancellationRequested)
        {
            await Task.Delay(50);
        }

        await stop.CancelAsync();
        var result = await replay;

        Assert.Equal(130, result.ExitCode);
        var step = Steps(result).Single(s => (string?)s["claimId"] == (string)claim["claimId"]!);
        Assert.Equal("taken affirms", Changes(step, "positions").Select(p => $"{p["change"]} {p["stance"]}").Single());
    }
}

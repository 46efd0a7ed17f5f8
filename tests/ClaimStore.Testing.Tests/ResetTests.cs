using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace ClaimStore.Testing.Tests;

/// <summary>
/// Both tests reset the store first and then write the same actor and claim: each sees it created,
/// never "unchanged", so nothing of the other test survived the reset, whichever ran first.
/// </summary>
[Collection(KitCollection.Name)]
public sealed class ResetTests(ThreeHostCluster fixture, ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly Guid SameClaim = Guid.Parse("0b7d4c1e-2f3a-4b5c-8d9e-0a1b2c3d4e5f");
    private readonly ClaimStoreCluster _cluster = fixture.Cluster;
    private IDisposable? _logs;

    public async Task InitializeAsync()
    {
        _logs = fixture.Attach(output);
        await _cluster.ResetAsync();
    }

    [Fact]
    public Task FirstTest_AfterReset_StoreEmpty() => AssertEmptyThenWriteAsync(host: 0);

    [Fact]
    public Task SecondTest_AfterReset_StoreEmpty() => AssertEmptyThenWriteAsync(host: 1);

    [Fact]
    public async Task Reset_AfterEveryHostReadTheStore_EveryHostAnswersEmpty()
    {
        // Contradicting claims, read on every host: actors, positions, contradictions, propositions and search
        // are then held in each host's memory (grains, read side, positions cache, live log) as well as stored.
        using (var writer = _cluster.CreateClient(0, ClaimStoreRole.Writer))
        {
            foreach (var (actor, stance) in new[] { ("reset-a", "affirms"), ("reset-b", "denies") })
            {
                await Claims.RegisterAsync(writer, actor);
                using var posted = await writer.PostAsJsonAsync($"actors/{actor}/claims", TopicClaim(actor, stance));
                Assert.Equal(HttpStatusCode.Created, posted.StatusCode);
            }
        }

        for (var host = 0; host < _cluster.HostCount; host++)
        {
            using var reader = _cluster.CreateClient(host, ClaimStoreRole.Reader);
            Assert.NotEmpty(await Claims.ListAsync(reader, "contradictions"));
            Assert.Equal(2, (await reader.GetFromJsonAsync<JsonNode>("claims?q=Rücksetzung"))!["claims"]!.AsArray().Count);
            Assert.Single((await reader.GetFromJsonAsync<JsonNode>("actors/reset-a/positions"))!["positions"]!.AsArray());
        }

        await _cluster.ResetAsync();

        for (var host = 0; host < _cluster.HostCount; host++)
        {
            using var reader = _cluster.CreateClient(host, ClaimStoreRole.Reader);
            Assert.Empty(await Claims.ListAsync(reader, "actors"));
            Assert.Empty(await Claims.ListAsync(reader, "contradictions"));
            Assert.Empty(await Claims.ListAsync(reader, "propositions"));
            Assert.Empty((await reader.GetFromJsonAsync<JsonNode>("claims?q=Rücksetzung"))!["claims"]!.AsArray());
            Assert.Empty((await reader.GetFromJsonAsync<JsonNode>("events?afterSequence=0"))!["events"]!.AsArray());
            using var positions = await reader.GetAsync("actors/reset-a/positions");
            Assert.Equal(HttpStatusCode.NotFound, positions.StatusCode);
        }

        // The store starts again: the same actor and claim are new, and only the new claim is read anywhere.
        using (var writer = _cluster.CreateClient(1, ClaimStoreRole.Writer))
        {
            await Claims.RegisterAsync(writer, "reset-a");
            using var posted = await writer.PostAsJsonAsync("actors/reset-a/claims", TopicClaim("reset-a", "affirms"));
            Assert.Equal(HttpStatusCode.Created, posted.StatusCode);
        }

        for (var host = 0; host < _cluster.HostCount; host++)
        {
            using var reader = _cluster.CreateClient(host, ClaimStoreRole.Reader);
            Assert.Empty(await Claims.ListAsync(reader, "contradictions"));
            Assert.Single((await reader.GetFromJsonAsync<JsonNode>("claims?q=Rücksetzung"))!["claims"]!.AsArray());
            var events = (await reader.GetFromJsonAsync<JsonNode>("events?afterSequence=0"))!["events"]!.AsArray();
            Assert.Equal([1L, 2L], events.Select(e => e!["sequence"]!.GetValue<long>()));
            var positions = (await reader.GetFromJsonAsync<JsonNode>("actors/reset-a/positions"))!["positions"]!.AsArray();
            Assert.Equal("affirms", Assert.Single(positions)!["stance"]!.GetValue<string>());
        }
    }

    public Task DisposeAsync()
    {
        _logs?.Dispose();
        return Task.CompletedTask;
    }

    private static object TopicClaim(string actor, string stance) => new
    {
        claimId = "5d0c2a9e-7b1f-4e3a-9c8d-" + (stance == "affirms" ? "000000000001" : "000000000002"),
        subject = "reset-topic",
        predicate = "is",
        @object = "contested",
        stance,
        statedAt = "2024-12-04T10:00:00Z",
        quote = "Die Rücksetzung ist umstritten.",
        language = "de",
    };

    private async Task AssertEmptyThenWriteAsync(int host)
    {
        using var client = _cluster.CreateClient(host, ClaimStoreRole.Writer);

        Assert.Empty(await Claims.ListAsync(client, "actors"));
        var events = await client.GetFromJsonAsync<JsonNode>("events?afterSequence=0");
        Assert.Empty(events!["events"]!.AsArray());

        await Claims.RegisterAsync(client, "reset-probe");
        Assert.Equal(HttpStatusCode.Created, await Claims.PostAsync(client, "reset-probe", SameClaim));
        using var other = _cluster.CreateClient((host + 1) % _cluster.HostCount, ClaimStoreRole.Reader);
        Assert.Single(await Claims.ListAsync(other, "actors/reset-probe/claims"));
    }
}

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

    public Task DisposeAsync()
    {
        _logs?.Dispose();
        return Task.CompletedTask;
    }

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

using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ClaimStore.Testing;
using Xunit.Abstractions;

namespace FactDesk.Tests;

[Collection(ClaimStoreCollection.Name)]
public sealed class PublisherTests : IAsyncLifetime
{
    private readonly ClaimStoreCluster _cluster;
    private readonly IDisposable _hostLogs;

    public PublisherTests(ClaimStoreFixture fixture, ITestOutputHelper output)
    {
        _cluster = fixture.Cluster;
        // What the hosts log during a test lands in its output, which the runner shows when it fails.
        _hostLogs = _cluster.CaptureLogs(output.WriteLine);
    }

    // Every test starts from an empty store.
    public Task InitializeAsync() => _cluster.ResetAsync();

    [Fact]
    public async Task Publish_DenialOfAnAccusation_ContradictionOpensAndClaimReadableOnEveryHost()
    {
        // Seed what the store held before: NATO's accusation (the kit registers NATO on the way).
        await _cluster.ImportAsync([new { actorId = "nato", subject = "china", predicate = "sends-drones-to", @object = "russia", stance = "affirms", statedAt = "2024-12-04T10:00:00Z" }]);
        using var writer = _cluster.CreateClient(0, ClaimStoreRole.Writer);
        (await writer.PutAsJsonAsync("actors/china", new { name = "China", kind = "state" })).EnsureSuccessStatusCode();
        var publisher = new ClaimPublisher([writer]);
        var claim = Denial();

        await publisher.PublishAsync(claim);

        var contradictions = await writer.GetFromJsonAsync<JsonArray>("contradictions?propositionKey=china:sends-drones-to:russia");
        Assert.Equal(["china", "nato"], Assert.Single(contradictions!)!["actorIds"]!.AsArray().Select(a => a!.GetValue<string>()));
        for (var host = 0; host < _cluster.HostCount; host++)
        {
            using var reader = _cluster.CreateClient(host, ClaimStoreRole.Reader);
            var claims = await reader.GetFromJsonAsync<JsonArray>("actors/china/claims");
            Assert.Equal(claim.ClaimId.ToString(), Assert.Single(claims!)!["claimId"]!.GetValue<string>());
        }
    }

    [Fact]
    public async Task HostKilledMidRequest_PublisherRetriesOnOtherHost_ClaimStoredOnce()
    {
        using var setup = _cluster.CreateClient(0, ClaimStoreRole.Writer);
        (await setup.PutAsJsonAsync("actors/china", new { name = "China", kind = "state" })).EnsureSuccessStatusCode();
        // The first request goes to host 1, which is killed while the request body is on its way.
        var killer = new KillWhileSending(() => _cluster.KillAsync(1));
        var publisher = new ClaimPublisher([_cluster.CreateClient(1, ClaimStoreRole.Writer, killer), _cluster.CreateClient(0, ClaimStoreRole.Writer)], attempts: 10);
        var claim = Denial();

        try
        {
            await publisher.PublishAsync(claim);
        }
        finally
        {
            await _cluster.StartAsync(1);
        }

        using var reader = _cluster.CreateClient(1, ClaimStoreRole.Reader);
        var claims = await reader.GetFromJsonAsync<JsonArray>("actors/china/claims");
        Assert.True(killer.Killed);
        Assert.True(publisher.LastAttempts >= 2, $"published in {publisher.LastAttempts} attempt(s)");
        Assert.Equal(claim.ClaimId.ToString(), Assert.Single(claims!)!["claimId"]!.GetValue<string>());
    }

    public Task DisposeAsync()
    {
        _hostLogs.Dispose();
        return Task.CompletedTask;
    }

    private static DeskClaim Denial() => new(
        Guid.NewGuid(), "china", "china", "sends-drones-to", "russia", "denies", new DateTimeOffset(2024, 12, 5, 9, 0, 0, TimeSpan.Zero), "We send no drones.");

    /// <summary>Sends the first request's body in two halves and kills the host between them: the request fails mid-flight.</summary>
    private sealed class KillWhileSending(Func<Task> kill) : DelegatingHandler(new HttpClientHandler())
    {
        public bool Killed { get; private set; }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (!Killed && request.Content is not null)
            {
                var body = await request.Content.ReadAsByteArrayAsync(cancellationToken);
                request.Content = new SplitContent(body, async () =>
                {
                    await kill();
                    Killed = true;
                }, request.Content.Headers);
            }

            return await base.SendAsync(request, cancellationToken);
        }
    }

    private sealed class SplitContent : HttpContent
    {
        private readonly byte[] _body;
        private readonly Func<Task> _between;

        public SplitContent(byte[] body, Func<Task> between, System.Net.Http.Headers.HttpContentHeaders headers)
        {
            _body = body;
            _between = between;
            foreach (var header in headers)
            {
                Headers.TryAddWithoutValidation(header.Key, header.Value);
            }
        }

        protected override async Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context)
        {
            await stream.WriteAsync(_body.AsMemory(0, _body.Length / 2));
            await stream.FlushAsync();
            await _between();
            await stream.WriteAsync(_body.AsMemory(_body.Length / 2));
        }

        protected override bool TryComputeLength(out long length)
        {
            length = _body.Length;
            return true;
        }
    }
}

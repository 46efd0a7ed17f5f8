using ClaimStore.Domain.Claims;
using ClaimStore.Grains.Actors;
using ClaimStore.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Core.Internal;
using Orleans.TestingHost;

namespace ClaimStore.IntegrationTests.Actors;

/// <summary>What the grains of a two-silo cluster publish to their silo's <see cref="LocalPositions"/>.</summary>
[Collection(ClusterCollection.Name)]
public sealed class LocalPositionsTests(ClusterFixture fixture)
{
    private IGrainFactory Grains => fixture.Cluster.GrainFactory;

    private IEnumerable<(SiloAddress Silo, LocalPositions Local)> Silos =>
        fixture.Cluster.Silos.Cast<InProcessSiloHandle>()
            .Select(s => (s.SiloAddress, s.ServiceProvider.GetRequiredService<LocalPositions>()));

    private async Task<SiloAddress> HomeOfAsync(IActorGrain grain) =>
        await Grains.GetGrain<IManagementGrain>(0).GetActivationAddress(grain)
        ?? throw new InvalidOperationException("The grain is not active.");

    private async Task<IActorGrain> RegisteredAsync(string actorId)
    {
        var grain = Grains.GetActorGrain(actorId);
        await grain.RegisterAsync(TestData.Profile());
        return grain;
    }

    [Fact]
    public async Task GetPositions_ActiveActor_IsPublishedOnItsSiloOnly()
    {
        var actorId = TestData.ActorId();
        var grain = await RegisteredAsync(actorId);
        await grain.RecordClaimsAsync([TestData.Claim()]);

        var answered = await grain.GetPositionsAsync(null, null);

        var home = await HomeOfAsync(grain);
        foreach (var (silo, local) in Silos)
        {
            Assert.Equal(silo.Equals(home), local.TryGetCurrent(actorId, out var published));
            if (silo.Equals(home))
            {
                Assert.Equal(answered.Version, published.Version);
                // As arrays: ImmutableArray's own equality compares the references of the arrays behind it.
                Assert.Equal(answered.Positions.ToArray(), published.Positions.ToArray());
            }
        }
    }

    [Fact]
    public async Task RecordClaims_WhileReadsRepublish_NoSiloServesAVersionBeforeTheAcknowledgedOne()
    {
        var actorId = TestData.ActorId();
        var grain = await RegisteredAsync(actorId);
        using var stop = new CancellationTokenSource();
        var readers = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await grain.GetPositionsAsync(null, null);
            }
        })).ToArray();
        try
        {
            for (var i = 0; i < 40; i++)
            {
                var claim = TestData.Claim(subject: $"subject-{i}");
                var acknowledged = (await grain.RecordClaimsAsync([claim]))[0].Claim!.Version;

                // Right after the acknowledgement an entry may hold nothing (no read has republished yet), never less.
                AssertNothingStale(actorId, acknowledged, claim);
                await grain.GetPositionsAsync(null, null);
                AssertNothingStale(actorId, acknowledged, claim);
                Assert.Single(Silos, s => s.Local.TryGetCurrent(actorId, out _));
            }
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(readers);
        }
    }

    private void AssertNothingStale(string actorId, long acknowledged, ClaimSubmission claim)
    {
        foreach (var (_, local) in Silos)
        {
            if (local.TryGetCurrent(actorId, out var published))
            {
                Assert.True(published.Version >= acknowledged, $"Version {published.Version} served after {acknowledged} was acknowledged.");
                Assert.Contains(published.Positions, p => p.Proposition.Subject == claim.Content.Proposition.Subject);
            }
        }
    }

    [Fact]
    public async Task DeactivateOnIdle_PublishedActor_WithdrawsItsEntry()
    {
        var actorId = TestData.ActorId();
        var grain = await RegisteredAsync(actorId);
        await grain.GetPositionsAsync(null, null);
        Assert.Contains(Silos, s => s.Local.TryGetCurrent(actorId, out _));

        await grain.Cast<IGrainManagementExtension>().DeactivateOnIdle();

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (Silos.Any(s => s.Local.TryGetCurrent(actorId, out _)))
        {
            Assert.True(DateTime.UtcNow < deadline, "The deactivated grain's entry is still served.");
            await Task.Delay(20);
        }

        // The next read activates the grain again, which publishes afresh.
        await grain.RecordClaimsAsync([TestData.Claim()]);
        var answered = await grain.GetPositionsAsync(null, null);
        Assert.Single(answered.Positions);
        Assert.Single(Silos, s => s.Local.TryGetCurrent(actorId, out var p) && p.Version == answered.Version);
    }
}

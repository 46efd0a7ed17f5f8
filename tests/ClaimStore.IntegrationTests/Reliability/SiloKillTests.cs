using System.Globalization;
using ClaimStore.Api.Hosting;
using ClaimStore.Api.Http;
using ClaimStore.Domain.Claims;
using ClaimStore.Grains.Actors;
using ClaimStore.IntegrationTests.Infrastructure;
using ClaimStore.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Orleans.Configuration;
using Orleans.TestingHost;
using Xunit.Abstractions;

namespace ClaimStore.IntegrationTests.Reliability;

/// <summary>
/// Three silos over a database of their own, concurrent writers straight to the grains, and one
/// silo killed (no graceful shutdown) in the middle of the load.
/// </summary>
[Collection(ReliabilityCollection.Name)]
public sealed class SiloKillTests(ITestOutputHelper output)
{
    private const string ConnectionKey = "ClaimStoreReliabilityConnection";
    private const int Actors = 48;
    private const int Writers = 8;
    private const int ClaimsPerWriter = 150;
    private static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(3);

    [Fact]
    public async Task ThreeSilos_OneKilledUnderLoad_EveryAcknowledgedClaimStoredExactlyOnce()
    {
        var connectionString = await TestPostgres.CreateDatabaseAsync("silokill");
        var builder = new TestClusterBuilder(initialSilosCount: 3);
        builder.Properties[ConnectionKey] = connectionString;
        builder.AddSiloBuilderConfigurator<SiloConfigurator>();
        builder.AddClientBuilderConfigurator<ClientConfigurator>();
        var cluster = builder.Build();
        await cluster.DeployAsync();
        try
        {
            var grains = cluster.GrainFactory;
            var actors = Enumerable.Range(0, Actors).Select(i => TestData.ActorId($"kill{i}")).ToArray();
            await Task.WhenAll(actors.Select(a => grains.GetGrain<IActorGrain>(a).RegisterAsync(TestData.Profile(a))));

            var load = new ClaimLoad(actors, Writers, ClaimsPerWriter);
            var run = load.RunAsync((claim, _, ct) => RecordAsync(grains, claim, ct), TimeSpan.FromSeconds(60));

            // Mid-load: a third of the claims acknowledged. Note where every actor lives, then kill a silo.
            await load.WaitForAcknowledgementsAsync(load.Total / 3, run, TimeSpan.FromSeconds(30));
            var victim = cluster.SecondarySilos[0];
            var management = grains.GetGrain<IManagementGrain>(0);
            var homes = await Task.WhenAll(actors.Select(async a => (Actor: a, Home: await management.GetActivationAddress(grains.GetGrain<IActorGrain>(a)))));
            var victimActors = homes.Where(h => h.Home == victim.SiloAddress).Select(h => h.Actor).ToHashSet(StringComparer.Ordinal);
            var killedAt = load.Now;
            var acknowledgedBeforeKill = load.AcknowledgedCount;
            await cluster.KillSiloAsync(victim);
            await run;

            output.WriteLine(load.Summary());
            output.WriteLine($"Killed {victim.Name} at {killedAt.TotalSeconds:F2} s with {acknowledgedBeforeKill} claims acknowledged; "
                + $"{victimActors.Count} of {Actors} actors lived on it; the load ran {load.Now.TotalSeconds:F1} s in all.");
            Assert.Empty(load.FatalAnswers);
            Assert.Equal(load.Total, load.AcknowledgedCount);
            Assert.NotEmpty(victimActors);

            var recovery = RecoveryFigures.Of(load, victimActors, killedAt);
            output.WriteLine(recovery.ToString());

            var audit = await StoreAudit.AssertExactlyOnceAsync(connectionString, load);
            output.WriteLine(audit.ToString());
            Assert.Equal(0, audit.StoredButNeverAcknowledged);

            // The grains' memory (reactivated from the store on a surviving silo, or never moved) agrees with the store.
            foreach (var actor in actors)
            {
                var snapshot = await grains.GetGrain<IActorGrain>(actor).GetSnapshotAsync();
                var planned = load.AllClaims.Count(c => c.ActorId == actor);
                Assert.Equal(planned, snapshot.Claims.Count);
                Assert.Equal(planned + 1, snapshot.Version);
            }

            var newHomes = await Task.WhenAll(victimActors.Select(a => management.GetActivationAddress(grains.GetGrain<IActorGrain>(a)).AsTask()));
            Assert.All(newHomes, home => Assert.NotEqual(victim.SiloAddress, home));
        }
        finally
        {
            await cluster.StopAllSilosAsync();
            await cluster.DisposeAsync();
        }
    }

    private static async Task<AttemptResult> RecordAsync(IGrainFactory grains, PlannedClaim claim, CancellationToken cancellationToken)
    {
        var submission = TestData.Claim() with { ClaimId = claim.ClaimId };
        RecordOutcome outcome;
        try
        {
            // A call to a silo that just died may wait for the response timeout: give up sooner and retry (same claim id).
            outcome = (await grains.GetGrain<IActorGrain>(claim.ActorId).RecordClaimsAsync([submission])
                .WaitAsync(AttemptTimeout, cancellationToken))[0];
        }
        catch (Exception ex) when (ErrorMapping.Map(ex).Status == StatusCodes.Status503ServiceUnavailable)
        {
            // What the HTTP API answers with 503 and a client retries; any other failure fails the test.
            return AttemptResult.Retry(ex.GetType().Name);
        }

        return outcome.Status switch
        {
            RecordStatus.Created => new AttemptResult(AttemptKind.Created, outcome.Claim!.Version),
            RecordStatus.Unchanged => new AttemptResult(AttemptKind.Unchanged, outcome.Claim!.Version),
            _ => AttemptResult.Fatal($"{outcome.Status}: {outcome.Detail}"),
        };
    }

    private sealed class SiloConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder)
        {
            siloBuilder.Services.AddClaimStoreGrains(siloBuilder.Configuration[ConnectionKey]!);
            // Failure detection as ClaimStore configures it for its own clusters.
            siloBuilder.Configure<ClusterMembershipOptions>(OrleansClustering.ConfigureFailureDetection);
        }
    }

    private sealed class ClientConfigurator : IClientBuilderConfigurator
    {
        public void Configure(IConfiguration configuration, IClientBuilder clientBuilder) =>
            clientBuilder.Configure<ClientMessagingOptions>(options => options.ResponseTimeout = TimeSpan.FromSeconds(5));
    }
}

/// <summary>How long the actors of a lost silo (or host) were unavailable, from the writers' acknowledgements.</summary>
public sealed record RecoveryFigures(int VictimActors, TimeSpan First, TimeSpan Median, TimeSpan Last, int OtherAcknowledgementsMeanwhile)
{
    /// <summary>
    /// For each actor that lived on the lost node: the time from the loss until the end of the first
    /// acknowledged attempt that started after it. Also counts how many claims of the other actors were
    /// acknowledged while the last of them was still unavailable: the load the survivors kept serving.
    /// </summary>
    public static RecoveryFigures Of(ClaimLoad load, IReadOnlySet<string> victimActors, TimeSpan lostAt)
    {
        var perActor = victimActors
            .Select(actor => load.Acknowledged.Values
                .Where(a => a.Claim.ActorId == actor && a.Started >= lostAt)
                .Select(a => a.Ended - lostAt)
                .DefaultIfEmpty(TimeSpan.MaxValue)
                .Min())
            .Order()
            .ToArray();
        Assert.DoesNotContain(TimeSpan.MaxValue, perActor);
        var last = perActor[^1];
        var others = load.Acknowledged.Values.Count(a =>
            !victimActors.Contains(a.Claim.ActorId) && a.Ended >= lostAt && a.Ended <= lostAt + last);
        return new RecoveryFigures(perActor.Length, perActor[0], perActor[perActor.Length / 2], last, others);
    }

    public override string ToString() =>
        $"actors of the lost node answered writes again after {Seconds(First)} s (first), {Seconds(Median)} s (median), "
        + $"{Seconds(Last)} s (last of {VictimActors}); meanwhile {OtherAcknowledgementsMeanwhile} claims of other actors were acknowledged";

    private static string Seconds(TimeSpan span) => span.TotalSeconds.ToString("F2", CultureInfo.InvariantCulture);
}

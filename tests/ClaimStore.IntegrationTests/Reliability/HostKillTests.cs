using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using ClaimStore.Api.Hosting;
using ClaimStore.Grains.Actors;
using ClaimStore.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Orleans.Configuration;
using Xunit.Abstractions;

namespace ClaimStore.IntegrationTests.Reliability;

/// <summary>
/// Three ClaimStore host processes clustered through PostgreSQL on loopback, HTTP writers spread
/// over them, and one of them killed with SIGKILL in the middle of the load.
/// </summary>
[Collection(ReliabilityCollection.Name)]
public sealed class HostKillTests(ITestOutputHelper output)
{
    private const int Actors = 48;
    private const int Writers = 8;
    private const int ClaimsPerWriter = 100;
    private static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan RecoveryLimit = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task ThreeHostProcesses_OneKilledWithSigkill_NothingLostOrDuplicatedAndSurvivorsKeepAnswering()
    {
        var connectionString = await TestPostgres.CreateDatabaseAsync("hostkill");
        var clusterId = $"hostkill-{Guid.NewGuid():N}"[..21];
        var started = Stopwatch.StartNew();
        var hosts = Enumerable.Range(0, 3)
            .Select(i => HostProcess.Start($"host{i}", connectionString, OrleansClustering.Postgres, clusterId))
            .ToArray();
        var clients = hosts.Select(h => HttpClaims.Client(h.BaseAddress)).ToArray();
        IHost? orleansClient = null;
        try
        {
            await Task.WhenAll(hosts.Select(h => h.WaitHealthyAsync(TimeSpan.FromSeconds(60))));
            await WaitUntilAsync(async () => await ActiveSilosAsync(connectionString, clusterId) == 3, TimeSpan.FromSeconds(30), "three active silos");
            orleansClient = await ConnectAsync(connectionString, clusterId);
            var grains = orleansClient.Services.GetRequiredService<IClusterClient>();
            output.WriteLine($"Three hosts healthy and clustered after {started.Elapsed.TotalSeconds:F1} s (pids {string.Join(", ", hosts.Select(h => h.ProcessId))}).");

            var actors = Enumerable.Range(0, Actors).Select(i => TestData.ActorId($"sigkill{i}")).ToArray();
            await Task.WhenAll(actors.Select((a, i) => HttpClaims.RegisterAsync([.. clients.Skip(i % 3), .. clients.Take(i % 3)], a, TimeSpan.FromSeconds(20))));

            // Writers go round the hosts, each retry of a claim to the next host, as behind a load balancer.
            var load = new ClaimLoad(actors, Writers, ClaimsPerWriter);
            var run = load.RunAsync(
                (claim, attempt, ct) => HttpClaims.PostAsync(
                    clients[(claim.Writer + claim.Index + attempt) % clients.Length], claim, AttemptTimeout, ct, HttpClaims.ContestedBody),
                TimeSpan.FromSeconds(60));

            await load.WaitForAcknowledgementsAsync(load.Total / 3, run, TimeSpan.FromSeconds(30));
            // The victim: the host whose share of the actors is nearest a third (placement is Orleans' choice).
            var management = grains.GetGrain<IManagementGrain>(0);
            var homes = await Task.WhenAll(actors.Select(async a =>
                (Actor: a, Port: (await management.GetActivationAddress(grains.GetGrain<IActorGrain>(a)))?.Endpoint.Port)));
            var victimIndex = Enumerable.Range(0, hosts.Length)
                .Where(i => homes.Any(h => h.Port == hosts[i].SiloPort))
                .MinBy(i => Math.Abs(homes.Count(h => h.Port == hosts[i].SiloPort) - (Actors / 3)));
            var victim = hosts[victimIndex];
            var survivors = clients.Where((_, i) => i != victimIndex).ToArray();
            var victimActors = homes.Where(h => h.Port == victim.SiloPort).Select(h => h.Actor).ToHashSet(StringComparer.Ordinal);
            output.WriteLine($"Actors per host before the kill: {string.Join(", ", hosts.Select(h => $"{h.Name} {homes.Count(x => x.Port == h.SiloPort)}"))}.");

            var killedAt = load.Now;
            var acknowledgedBeforeKill = load.AcknowledgedCount;
            var exitCode = await victim.KillAsync();
            // 137 = 128 + 9: the process ended by SIGKILL, none of its shutdown code ran.
            Assert.Equal(137, exitCode);

            using var watching = new CancellationTokenSource();
            var health = WatchHealthAsync(survivors, watching.Token);
            var probeRecovery = await load.ProbeAsync(victimActors.First(),
                (claim, attempt, ct) => HttpClaims.PostAsync(survivors[attempt % survivors.Length], claim, TimeSpan.FromSeconds(2), ct, HttpClaims.ContestedBody),
                RecoveryLimit * 2);
            await run;
            await watching.CancelAsync();
            var (checks, unhealthy, slowest) = await health;

            output.WriteLine(load.Summary());
            output.WriteLine($"SIGKILLed {victim.Name} (pid {victim.ProcessId}, exit code {exitCode}) at {killedAt.TotalSeconds:F2} s with "
                + $"{acknowledgedBeforeKill} claims acknowledged; {victimActors.Count} of {Actors} actors lived on it; the load ran {load.Now.TotalSeconds:F1} s in all.");
            output.WriteLine($"Probe: a new claim of {victimActors.First()} (its grain lived on {victim.Name}) was acknowledged through a surviving host "
                + $"{probeRecovery.TotalSeconds:F2} s after the kill.");
            var recovery = RecoveryFigures.Of(load, victimActors, killedAt);
            output.WriteLine(recovery.ToString());
            output.WriteLine($"Surviving hosts: {checks} health checks while the load ran, {unhealthy} not 200, slowest {slowest.TotalMilliseconds:F0} ms.");

            Assert.Empty(load.FatalAnswers);
            Assert.Equal(load.Total, load.AcknowledgedCount);
            Assert.True(probeRecovery < RecoveryLimit, $"The killed host's actors answered after {probeRecovery.TotalSeconds:F1} s; the limit is {RecoveryLimit.TotalSeconds} s.");
            Assert.True(recovery.Last < RecoveryLimit, $"The last of the killed host's actors answered after {recovery.Last.TotalSeconds:F1} s.");
            Assert.Equal(0, unhealthy);
            if (victimActors.Count < Actors)
            {
                Assert.True(recovery.OtherAcknowledgementsMeanwhile > 0, "No other actor's claim was acknowledged while the killed host's actors were unavailable.");
            }

            var audit = await StoreAudit.AssertExactlyOnceAsync(connectionString, load);
            output.WriteLine(audit.ToString());
            Assert.Equal(0, audit.StoredButNeverAcknowledged);

            // The read side, kept by whichever host won each round, the victim too: both survivors answer the same
            // contradictions, and a fold of the log from zero gives the same ones.
            var contradictions = await Task.WhenAll(survivors.Select(c => c.GetStringAsync("/contradictions")));
            Assert.Equal(contradictions[0], contradictions[1]);
            Assert.Contains("opposing-stances", contradictions[0], StringComparison.Ordinal);
            await ReadSideFolding.RebuildAsync(connectionString);
            Assert.Equal(contradictions[0], await survivors[1].GetStringAsync("/contradictions"));

            // What the surviving hosts serve (from the grains' memory) agrees with the store.
            for (var i = 0; i < actors.Length; i++)
            {
                Assert.Equal(load.AllClaims.Count(c => c.ActorId == actors[i]), await HttpClaims.CountClaimsAsync(survivors[i % survivors.Length], actors[i]));
            }
        }
        catch
        {
            foreach (var host in hosts)
            {
                host.WriteOutput(output);
            }

            throw;
        }
        finally
        {
            if (orleansClient is not null)
            {
                using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await orleansClient.StopAsync(stop.Token);
                orleansClient.Dispose();
            }

            foreach (var client in clients)
            {
                client.Dispose();
            }

            foreach (var host in hosts)
            {
                host.Dispose();
            }
        }
    }

    /// <summary>Polls <c>/health</c> of each survivor until cancelled: how many checks, how many not 200, the slowest.</summary>
    private static async Task<(int Checks, int Unhealthy, TimeSpan Slowest)> WatchHealthAsync(HttpClient[] survivors, CancellationToken stop)
    {
        var (checks, unhealthy, slowest) = (0, 0, TimeSpan.Zero);
        while (!stop.IsCancellationRequested)
        {
            foreach (var client in survivors)
            {
                var clock = Stopwatch.StartNew();
                try
                {
                    using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                    using var response = await client.GetAsync(new Uri("/health", UriKind.Relative), timeout.Token);
                    unhealthy += response.StatusCode == HttpStatusCode.OK ? 0 : 1;
                }
                catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException)
                {
                    unhealthy++;
                }

                checks++;
                slowest = clock.Elapsed > slowest ? clock.Elapsed : slowest;
            }

            try
            {
                await Task.Delay(250, stop);
            }
            catch (OperationCanceledException)
            {
            }
        }

        return (checks, unhealthy, slowest);
    }

    /// <summary>An Orleans client of the hosts' cluster: it asks where each actor's grain lives.</summary>
    private static async Task<IHost> ConnectAsync(string connectionString, string clusterId)
    {
        var host = new HostBuilder()
            .ConfigureLogging(logging => logging.SetMinimumLevel(LogLevel.Error))
            .UseOrleansClient(client => client
                .UseAdoNetClustering(options =>
                {
                    options.Invariant = OrleansClustering.Invariant;
                    options.ConnectionString = connectionString;
                })
                .Configure<ClusterOptions>(options => (options.ClusterId, options.ServiceId) = (clusterId, clusterId))
                .Configure<ClientMessagingOptions>(options => options.ResponseTimeout = TimeSpan.FromSeconds(5)))
            .Build();
        await host.StartAsync();
        return host;
    }

    private static async Task<long> ActiveSilosAsync(string connectionString, string clusterId)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "select count(*) from OrleansMembershipTable where DeploymentId = @cluster and Status = 3", connection);
        command.Parameters.AddWithValue("cluster", clusterId);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan limit, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > limit)
            {
                throw new TimeoutException($"Timed out after {limit.TotalSeconds} s waiting for {what}.");
            }

            await Task.Delay(200);
        }
    }
}

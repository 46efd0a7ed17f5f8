using System.Diagnostics;
using System.Net;
using ClaimStore.Api.Hosting;
using ClaimStore.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace ClaimStore.IntegrationTests.Reliability;

/// <summary>
/// Three ClaimStore host processes in one cluster (membership in PostgreSQL), HTTP writers to all
/// of them, and one host cut off from the other two silos for 30 s (<see cref="LoopbackPartition"/>:
/// iptables DROP both ways), while every host still reaches PostgreSQL and answers HTTP. Then the
/// partition heals.
/// </summary>
[Collection(ReliabilityCollection.Name)]
public sealed class PartitionTests(ITestOutputHelper output)
{
    private const int Actors = 36;
    private const int Writers = 12;
    private const int ClaimsPerWriter = 150;
    private static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan Pace = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan PartitionHeld = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task OneHostCutOffFromItsClusterFor30s_UnderHttpWriters_NothingLostNoForkOnly503sAndAllHostsAnswerAfterHealing()
    {
        var connectionString = await TestPostgres.CreateDatabaseAsync("partition");
        var clusterId = $"partition-{Guid.NewGuid():N}"[..22];
        var started = Stopwatch.StartNew();
        using var partition = LoopbackPartition.Prepare();
        var hosts = Enumerable.Range(0, 3)
            .Select(i => HostProcess.Start($"host{i}", connectionString, OrleansClustering.Postgres, clusterId))
            .ToArray();
        var victim = hosts[2];
        // Before the victim opens its first socket, so that every connection it makes is told apart.
        partition.Enclose(victim.ProcessId);
        var clients = hosts.Select(h => HttpClaims.Client(h.BaseAddress)).ToArray();
        try
        {
            await Task.WhenAll(hosts.Select(h => h.WaitHealthyAsync(TimeSpan.FromSeconds(60))));
            var actors = Enumerable.Range(0, Actors).Select(i => TestData.ActorId($"partition{i}")).ToArray();
            await Task.WhenAll(actors.Select((a, i) => HttpClaims.RegisterAsync([.. clients.Skip(i % 3), .. clients.Take(i % 3)], a, TimeSpan.FromSeconds(30))));
            output.WriteLine($"Three hosts healthy after {started.Elapsed.TotalSeconds:F1} s; silo ports {string.Join(", ", hosts.Select(h => h.SiloPort))}.");

            // Writers go round the hosts, each retry of a claim to the next host, paced so the load spans the partition.
            var load = new ClaimLoad(actors, Writers, ClaimsPerWriter);
            var run = load.RunAsync(
                async (claim, attempt, ct) =>
                {
                    await Task.Delay(Pace, ct);
                    return await HttpClaims.PostAsync(clients[(claim.Writer + claim.Index + attempt) % clients.Length], claim, AttemptTimeout, ct);
                },
                TimeSpan.FromSeconds(150));
            await load.WaitForAcknowledgementsAsync(load.Total / 10, run, TimeSpan.FromSeconds(30));

            var cutAt = load.Now;
            var acknowledgedBefore = load.AcknowledgedCount;
            partition.Cut(victim.SiloPort, hosts.Where(h => h != victim).Select(h => h.SiloPort));
            TimeSpan? victimEndedAt = null;
            while (load.Now - cutAt < PartitionHeld)
            {
                victimEndedAt ??= victim.IsRunning ? null : load.Now;
                await Task.Delay(100);
            }

            var acknowledgedDuring = load.AcknowledgedCount - acknowledgedBefore;
            var victimRunningAtHeal = victim.IsRunning;
            partition.Heal();
            var healedAt = load.Now;

            // A silo its cluster voted dead ends its own process (Orleans); a supervisor would start it again.
            var restarted = false;
            if (!victim.IsRunning)
            {
                victim.Restart();
                restarted = true;
            }

            await Task.WhenAll(hosts.Select(h => h.WaitHealthyAsync(TimeSpan.FromSeconds(60))));
            var answeringAgainAfter = load.Now - healedAt;
            await run;

            // Every host takes a write again after healing: a new claim of an actor, through each host in turn.
            var probes = new List<string>();
            for (var i = 0; i < hosts.Length; i++)
            {
                var client = clients[i];
                var took = await load.ProbeAsync(actors[i],
                    (claim, attempt, ct) => HttpClaims.PostAsync(client, claim, AttemptTimeout, ct), TimeSpan.FromSeconds(30));
                probes.Add($"{hosts[i].Name} {took.TotalSeconds:F2} s");
            }

            var statuses = load.Failures.GroupBy(f => f.Detail).ToDictionary(g => g.Key, g => g.Count());
            output.WriteLine(load.Summary());
            output.WriteLine($"Cut {victim.Name} (silo port {victim.SiloPort}) off from the other silos at {cutAt.TotalSeconds:F1} s after {acknowledgedBefore} acknowledgements, "
                + $"healed at {healedAt.TotalSeconds:F1} s; {acknowledgedDuring} claims acknowledged during the partition; "
                + $"{victim.Name} {(victimRunningAtHeal ? "was still running at the heal" : $"ended its own process {(victimEndedAt - cutAt)?.TotalSeconds:F1} s after the cut (voted dead by the other two)")}"
                + $"{(restarted ? " and was started again" : "")}; all hosts healthy {answeringAgainAfter.TotalSeconds:F1} s after the heal; "
                + $"post-heal probe writes acknowledged through {string.Join(", ", probes)}; retried attempts {load.Failures.Count}.");

            Assert.Empty(load.FatalAnswers);
            Assert.Equal(load.Total, load.AcknowledgedCount);
            Assert.True(acknowledgedDuring > 0, "No claim was acknowledged while the partition lasted.");
            // A refusal is a 503, or no answer from a host that is gone; never a 500 (HttpClaims makes any other status fatal).
            Assert.All(statuses.Keys, detail => Assert.True(
                detail == $"HTTP {(int)HttpStatusCode.ServiceUnavailable}" || !detail.StartsWith("HTTP", StringComparison.Ordinal), $"Unexpected answer: {detail}"));

            var audit = await StoreAudit.AssertExactlyOnceAsync(connectionString, load);
            output.WriteLine(audit.ToString());
            Assert.Equal(0, audit.StoredButNeverAcknowledged);

            for (var i = 0; i < actors.Length; i++)
            {
                Assert.Equal(load.AllClaims.Count(c => c.ActorId == actors[i]), await HttpClaims.CountClaimsAsync(clients[i % clients.Length], actors[i]));
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
            partition.Heal();
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
}

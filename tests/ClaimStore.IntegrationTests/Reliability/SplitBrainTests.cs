using System.Diagnostics;
using ClaimStore.Api.Hosting;
using ClaimStore.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace ClaimStore.IntegrationTests.Reliability;

/// <summary>
/// Two hosts that do not see each other (two clusters, as after a partition or a misconfigured
/// deployment) on one database, both writing to the same actor: two activations of one grain, each
/// believing it is the only writer. The store must still hold one unforked stream with every claim once.
/// </summary>
[Collection(ReliabilityCollection.Name)]
public sealed class SplitBrainTests(ITestOutputHelper output)
{
    private const int Writers = 6;
    private const int ClaimsPerWriter = 60;
    private static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task TwoClustersOneDatabase_ConcurrentWritesToOneActor_NoForkAndEveryClaimOnce()
    {
        var connectionString = await TestPostgres.CreateDatabaseAsync("splitbrain");
        var started = Stopwatch.StartNew();
        // Localhost clustering: each host is a cluster of its own and activates its own grain for the actor.
        var hosts = new[]
        {
            HostProcess.Start("left", connectionString, OrleansClustering.Localhost, $"left-{Guid.NewGuid():N}"[..17]),
            HostProcess.Start("right", connectionString, OrleansClustering.Localhost, $"right-{Guid.NewGuid():N}"[..18]),
        };
        var clients = hosts.Select(h => HttpClaims.Client(h.BaseAddress)).ToArray();
        try
        {
            await Task.WhenAll(hosts.Select(h => h.WaitHealthyAsync(TimeSpan.FromSeconds(60))));
            output.WriteLine($"Two separate single-silo clusters healthy after {started.Elapsed.TotalSeconds:F1} s.");
            var actor = TestData.ActorId("contested");
            await HttpClaims.RegisterAsync(clients, actor, TimeSpan.FromSeconds(20));

            // Each writer alternates between the hosts, and each retry goes to the other host.
            var load = new ClaimLoad([actor], Writers, ClaimsPerWriter);
            await load.RunAsync(
                (claim, attempt, ct) => HttpClaims.PostAsync(clients[(claim.Index + claim.Writer + attempt) % 2], claim, AttemptTimeout, ct),
                TimeSpan.FromSeconds(60));

            var conflicts = hosts.Sum(h => h.LinesContaining("moved past version"));
            output.WriteLine(load.Summary());
            output.WriteLine($"Both activations wrote: {load.Acknowledged.Values.Count(a => a.Created)} claims created, "
                + $"{conflicts} appends refused by the expected-version check and retried after a reload (host logs); the load ran {load.Now.TotalSeconds:F1} s.");
            Assert.Empty(load.FatalAnswers);
            Assert.Equal(load.Total, load.AcknowledgedCount);
            Assert.True(conflicts > 0, "The two activations never collided: the test did not exercise the backstop.");

            var audit = await StoreAudit.AssertExactlyOnceAsync(connectionString, load);
            output.WriteLine(audit.ToString());
            Assert.Equal(0, audit.StoredButNeverAcknowledged);
            Assert.Equal(load.Total + 1, audit.LongestStream);

            // Each activation's memory: what it would serve until its next write makes it catch up.
            foreach (var (host, client) in hosts.Zip(clients))
            {
                output.WriteLine($"{host.Name} serves {await HttpClaims.CountClaimsAsync(client, actor)} of the {load.Total} claims from its activation's memory.");
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

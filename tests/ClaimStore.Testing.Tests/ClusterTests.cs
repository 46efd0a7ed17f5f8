using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace ClaimStore.Testing.Tests;

/// <summary>The shared three-host cluster: clustering, keys, a host killed under writes, the database stopped.</summary>
[Collection(KitCollection.Name)]
public sealed class ClusterTests(ThreeHostCluster fixture, ITestOutputHelper output) : IDisposable
{
    private readonly ClaimStoreCluster _cluster = fixture.Cluster;
    private readonly IDisposable _logs = fixture.Attach(output);

    [Fact]
    public async Task WriteOnOneHost_ReadOnAnother_SameClaim()
    {
        using var writer = _cluster.CreateClient(0, ClaimStoreRole.Writer);
        using var reader = _cluster.CreateClient(2, ClaimStoreRole.Reader);
        var actor = Claims.NewActor("across");
        var id = Guid.NewGuid();

        await Claims.RegisterAsync(writer, actor);
        Assert.Equal(HttpStatusCode.Created, await Claims.PostAsync(writer, actor, id));

        var claims = await Claims.ListAsync(reader, $"actors/{actor}/claims");
        Assert.Equal(id.ToString(), Assert.Single(claims)!["claimId"]!.GetValue<string>());
        Assert.NotEqual(_cluster.BaseAddress(0), _cluster.BaseAddress(2));
    }

    [Fact]
    public async Task ReaderKey_Write_Forbidden()
    {
        using var reader = _cluster.CreateClient(1, ClaimStoreRole.Reader);
        using var anonymous = new HttpClient { BaseAddress = _cluster.BaseAddress(1) };

        using var write = await reader.PutAsJsonAsync("actors/kit-reader", new { name = "x", kind = "organisation" });
        using var read = await anonymous.GetAsync(new Uri("actors", UriKind.Relative));

        Assert.Equal(HttpStatusCode.Forbidden, write.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, read.StatusCode);
    }

    [Fact]
    public async Task KillOneHostUnderWrites_OtherHostsKeepAnswering_AndItComesBack()
    {
        var actors = Enumerable.Range(0, 12).Select(i => Claims.NewActor($"kill{i}")).ToArray();
        using var setup = _cluster.CreateClient(0);
        foreach (var actor in actors)
        {
            await Claims.RegisterAsync(setup, actor);
        }

        using var stop = new CancellationTokenSource();
        var acknowledged = new List<Guid>();
        var survivors = new[] { _cluster.CreateClient(0), _cluster.CreateClient(1) };
        foreach (var client in survivors)
        {
            client.Timeout = TimeSpan.FromSeconds(3);
        }

        // Each claim is retried on the survivors until acknowledged: the grains of the killed host move once it is declared dead.
        var writes = Task.Run(async () =>
        {
            for (var n = 0; !stop.IsCancellationRequested; n++)
            {
                var id = Guid.NewGuid();
                var actor = actors[n % actors.Length];
                var taken = false;
                // Bounded: a cluster that never takes the claim fails the assertions below instead of hanging the run.
                for (var attempt = 0; attempt < 60 && !taken; attempt++)
                {
                    try
                    {
                        var status = await Claims.PostAsync(survivors[attempt % 2], actor, id);
                        taken = status is HttpStatusCode.Created or HttpStatusCode.OK;
                    }
                    catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                    {
                        // The attempt timed out while the killed host's grains had nowhere to go yet.
                    }

                    if (!taken)
                    {
                        await Task.Delay(100);
                    }
                }

                if (!taken)
                {
                    return;
                }

                lock (acknowledged)
                {
                    acknowledged.Add(id);
                }
            }
        });

        await Task.Delay(1000);
        var killedPid = _cluster.ProcessId(2);
        await _cluster.KillAsync(2);
        Assert.Null(_cluster.ProcessId(2));
        Assert.False(Directory.Exists($"/proc/{killedPid}"), $"host 2 (pid {killedPid}) is still in the process table");
        var countAtKill = Count(acknowledged);
        var clock = Stopwatch.StartNew();
        while (Count(acknowledged) < countAtKill + 50 && clock.Elapsed < TimeSpan.FromSeconds(45))
        {
            await Task.Delay(200);
        }

        await stop.CancelAsync();
        await writes;
        output.WriteLine($"{Count(acknowledged) - countAtKill} claims acknowledged by the survivors {clock.Elapsed.TotalSeconds:F1} s after the kill.");
        Assert.True(Count(acknowledged) >= countAtKill + 50, "the surviving hosts did not take 50 writes within 45 s of the kill");

        await _cluster.StartAsync(2);
        using var restarted = _cluster.CreateClient(2, ClaimStoreRole.Reader);
        var last = acknowledged[^1];
        var actorOfLast = actors[(acknowledged.Count - 1) % actors.Length];
        var stored = await Claims.ListAsync(restarted, $"actors/{actorOfLast}/claims");
        Assert.Contains(stored, c => c!["claimId"]!.GetValue<string>() == last.ToString());
        foreach (var client in survivors)
        {
            client.Dispose();
        }
    }

    [Fact]
    public async Task StopDatabase_HostsUnhealthy_UntilStartedAgain()
    {
        using var client = _cluster.CreateClient(1, ClaimStoreRole.Reader);

        await _cluster.StopDatabaseAsync();
        HttpStatusCode during;
        try
        {
            using var response = await client.GetAsync(new Uri("health", UriKind.Relative));
            during = response.StatusCode;
        }
        finally
        {
            await _cluster.StartDatabaseAsync();
        }

        Assert.Equal(HttpStatusCode.ServiceUnavailable, during);
        var clock = Stopwatch.StartNew();
        HttpStatusCode after;
        do
        {
            using var response = await client.GetAsync(new Uri("health", UriKind.Relative));
            after = response.StatusCode;
        }
        while (after != HttpStatusCode.OK && clock.Elapsed < TimeSpan.FromSeconds(30) && await Delay());

        Assert.Equal(HttpStatusCode.OK, after);
    }

    [Fact]
    public async Task Import_Claims_ReadableOnEveryHost()
    {
        var actor = Claims.NewActor("seed");
        var claims = Enumerable.Range(0, 30).Select(_ => Claims.Claim(actor)).ToList();

        var result = await _cluster.ImportAsync(claims);
        var again = await _cluster.ImportAsync(claims);

        Assert.Equal(new ClaimImportResult(30, 0), result);
        Assert.Equal(new ClaimImportResult(0, 30), again);
        for (var host = 0; host < _cluster.HostCount; host++)
        {
            using var reader = _cluster.CreateClient(host, ClaimStoreRole.Reader);
            Assert.Equal(30, (await Claims.ListAsync(reader, $"actors/{actor}/claims")).Count);
        }
    }

    [Fact]
    public void Logs_OfEveryHost_SayItStarted()
    {
        for (var host = 0; host < _cluster.HostCount; host++)
        {
            Assert.Contains("Application started", _cluster.Logs(host), StringComparison.Ordinal);
        }
    }

    public void Dispose() => _logs.Dispose();

    private static int Count(List<Guid> list)
    {
        lock (list)
        {
            return list.Count;
        }
    }

    private static async Task<bool> Delay()
    {
        await Task.Delay(200);
        return true;
    }
}

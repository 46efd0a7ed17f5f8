using System.Net;
using Xunit.Abstractions;

namespace ClaimStore.Testing.Tests;

/// <summary>A second cluster beside the shared one: nothing shared, and nothing left once it is disposed.</summary>
[Collection(KitCollection.Name)]
public sealed class IsolationTests(ThreeHostCluster fixture, ITestOutputHelper output)
{
    [Fact]
    public async Task SecondCluster_SharesNoPortDatabaseOrData()
    {
        await using var second = await ClaimStoreCluster.StartAsync(new ClaimStoreClusterOptions { Hosts = 1, Log = Safe(output) });
        var first = fixture.Cluster;

        var firstPorts = Enumerable.Range(0, first.HostCount).Select(h => first.BaseAddress(h).Port).ToHashSet();
        Assert.DoesNotContain(second.BaseAddress(0).Port, firstPorts);
        Assert.NotEqual(first.ClusterId, second.ClusterId);
        Assert.NotEqual(first.DataDirectory, second.DataDirectory);
        Assert.NotEqual(first.DatabaseName, second.DatabaseName);
        Assert.NotEqual(first.ApiKey(ClaimStoreRole.Writer), second.ApiKey(ClaimStoreRole.Writer));

        var actor = Claims.NewActor("isolated");
        using var secondWriter = second.CreateClient(0);
        await Claims.RegisterAsync(secondWriter, actor);
        using var firstReader = first.CreateClient(0, ClaimStoreRole.Reader);
        using var lookup = await firstReader.GetAsync(new Uri($"actors/{actor}", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, lookup.StatusCode);
    }

    [Fact]
    public async Task Dispose_LeavesNoHostProcessNorPostgresServer()
    {
        var cluster = await ClaimStoreCluster.StartAsync(new ClaimStoreClusterOptions { Hosts = 2, Log = Safe(output) });
        var hosts = Enumerable.Range(0, 2).Select(h => cluster.ProcessId(h)!.Value).ToList();
        var dataDirectory = cluster.DataDirectory!;
        var postmaster = int.Parse(File.ReadLines(Path.Combine(dataDirectory, "postmaster.pid")).First(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(Directory.Exists($"/proc/{postmaster}"));

        await cluster.DisposeAsync();

        foreach (var pid in hosts.Append(postmaster))
        {
            Assert.False(IsRunning(pid), $"pid {pid} is still running");
        }

        Assert.Empty(ProcessesMentioning(dataDirectory));
        Assert.False(Directory.Exists(dataDirectory), $"{dataDirectory} was not deleted");
    }

    /// <summary>In the process table and not a zombie (which has exited and only waits for init to collect it).</summary>
    private static bool IsRunning(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..][0] is not 'Z' and not 'X';
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>Processes whose command line names <paramref name="text"/> (a server's data directory, say).</summary>
    private static List<string> ProcessesMentioning(string text)
    {
        var found = new List<string>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out _))
            {
                continue;
            }

            try
            {
                var commandLine = File.ReadAllText(Path.Combine(directory, "cmdline")).Replace('\0', ' ');
                if (commandLine.Contains(text, StringComparison.Ordinal))
                {
                    found.Add($"{Path.GetFileName(directory)}: {commandLine}");
                }
            }
            catch (IOException)
            {
                // The process ended while we looked.
            }
            catch (UnauthorizedAccessException)
            {
                // Someone else's process.
            }
        }

        return found;
    }

    private static Action<string> Safe(ITestOutputHelper output) => line =>
    {
        try
        {
            output.WriteLine(line);
        }
        catch (InvalidOperationException)
        {
            // The test has ended: the host's last lines have nowhere to go.
        }
    };
}

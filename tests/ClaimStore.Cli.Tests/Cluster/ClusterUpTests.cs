using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ClaimStore.Cli.Tests.Infrastructure;
using Xunit.Abstractions;

namespace ClaimStore.Cli.Tests.Cluster;

/// <summary><c>claimstore cluster up</c> run in-process; cancelling its token is the Ctrl+C that System.CommandLine turns into cancellation.</summary>
[Collection(CliCollection.Name)]
public sealed class ClusterUpTests(ITestOutputHelper output)
{
    [Fact]
    public async Task ClusterUp_TwoHosts_PrintedUrlsAndKeysWork_CtrlCStopsEverything()
    {
        using var ctrlC = new CancellationTokenSource();
        var (run, stdout, stderr) = Start(ctrlC.Token, "cluster", "up", "--hosts", "2", "--json");
        try
        {
            var printed = await WaitForJsonAsync(stdout, stderr, run);
            var urls = printed["hosts"]!.AsArray().Select(h => new Uri(h!["url"]!.GetValue<string>())).ToList();
            var pids = printed["hosts"]!.AsArray().Select(h => h!["pid"]!.GetValue<int>()).ToList();
            var dataDirectory = printed["dataDirectory"]!.GetValue<string>();
            Assert.Equal(2, urls.Distinct().Count());

            using var writer = Client(urls[0], printed["keys"]!["writer"]!.GetValue<string>());
            using var reader = Client(urls[1], printed["keys"]!["reader"]!.GetValue<string>());
            using (var register = await writer.PutAsJsonAsync("actors/cluster-up", new { name = "Cluster up", kind = "group" }))
            {
                Assert.Equal(HttpStatusCode.Created, register.StatusCode);
            }

            var actor = await reader.GetFromJsonAsync<JsonObject>("actors/cluster-up");
            Assert.Equal("Cluster up", actor!["name"]!.GetValue<string>());
            using (var forbidden = await reader.PutAsJsonAsync("actors/cluster-up", new { name = "x", kind = "group" }))
            {
                Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
            }

            using var workbench = await reader.GetAsync(new Uri("/", UriKind.Relative));
            Assert.Equal("text/html", workbench.Content.Headers.ContentType?.MediaType);

            await ctrlC.CancelAsync();
            Assert.Equal(0, await run.WaitAsync(TimeSpan.FromSeconds(60)));
            Assert.All(pids, pid => Assert.False(Directory.Exists($"/proc/{pid}"), $"host pid {pid} still runs"));
            Assert.False(Directory.Exists(dataDirectory), $"{dataDirectory} was not deleted");
            Assert.Contains("Stopped.", stderr.Text, StringComparison.Ordinal);
        }
        finally
        {
            await ctrlC.CancelAsync();
            await run.WaitAsync(TimeSpan.FromSeconds(60));
            output.WriteLine(stderr.Text);
        }
    }

    [Fact]
    public async Task ClusterUp_WithData_NextRunHasTheStore()
    {
        using var data = new TempFiles();
        // The embedded server runs as the postgres user when the tests run as root: it must reach the directory.
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(data.Directory, (UnixFileMode)0b111_101_101);
        }

        var directory = data.PathOf("pg");
        for (var run = 1; run <= 2; run++)
        {
            using var ctrlC = new CancellationTokenSource();
            var (cli, stdout, stderr) = Start(ctrlC.Token, "cluster", "up", "--hosts", "1", "--data", directory, "--json");
            try
            {
                var printed = await WaitForJsonAsync(stdout, stderr, cli);
                using var client = Client(new Uri(printed["hosts"]![0]!["url"]!.GetValue<string>()), printed["keys"]!["writer"]!.GetValue<string>());
                if (run == 1)
                {
                    using var register = await client.PutAsJsonAsync("actors/kept", new { name = "Kept", kind = "group" });
                    Assert.Equal(HttpStatusCode.Created, register.StatusCode);
                }
                else
                {
                    using var lookup = await client.GetAsync(new Uri("actors/kept", UriKind.Relative));
                    Assert.Equal(HttpStatusCode.OK, lookup.StatusCode);
                }
            }
            finally
            {
                await ctrlC.CancelAsync();
                Assert.Equal(0, await cli.WaitAsync(TimeSpan.FromSeconds(60)));
                output.WriteLine(stderr.Text);
            }

            Assert.True(File.Exists(Path.Combine(directory, "PG_VERSION")), "the data directory was not kept");
        }
    }

    [Fact]
    public async Task ClusterUp_ZeroHosts_UsageErrorAndNothingStarted()
    {
        var (run, stdout, stderr) = Start(CancellationToken.None, "cluster", "up", "--hosts", "0");

        Assert.Equal(2, await run.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("--hosts must be between 1 and 16", stderr.Text, StringComparison.Ordinal);
        Assert.Empty(stdout.Text);
    }

    private static (Task<int> Run, LiveWriter Output, LiveWriter Error) Start(CancellationToken ctrlC, params string[] args)
    {
        var stdout = new LiveWriter();
        var stderr = new LiveWriter();
        var run = Task.Run(() => CliProgram.RunAsync(args, stdout, stderr, ctrlC));
        return (run, stdout, stderr);
    }

    private static async Task<JsonObject> WaitForJsonAsync(LiveWriter stdout, LiveWriter stderr, Task<int> run)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(120))
        {
            if (run.IsCompleted)
            {
                Assert.Fail($"cluster up ended with {await run}:\n{stdout.Text}\n{stderr.Text}");
            }

            var text = stdout.Text;
            if (text.TrimEnd().EndsWith('}'))
            {
                return JsonNode.Parse(text)!.AsObject();
            }

            await Task.Delay(200);
        }

        Assert.Fail($"cluster up printed no addresses within 120 s:\n{stderr.Text}");
        return null!;
    }

    private static HttpClient Client(Uri url, string key)
    {
        var client = new HttpClient { BaseAddress = url };
        client.DefaultRequestHeaders.Add("X-Api-Key", key);
        return client;
    }
}

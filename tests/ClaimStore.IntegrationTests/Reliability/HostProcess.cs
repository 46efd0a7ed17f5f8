using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using Xunit.Abstractions;

namespace ClaimStore.IntegrationTests.Reliability;

/// <summary>
/// A ClaimStore host as operators run it: <c>dotnet ClaimStore.Api.dll</c> in a process of its own
/// (the build copies the host next to the tests), on its own loopback port, silo and gateway ports.
/// <see cref="Kill"/> ends it with SIGKILL: no shutdown code of the host runs.
/// </summary>
public sealed class HostProcess : IDisposable
{
    private const int OutputLinesKept = 20_000;

    // Children outlive a test process that dies without disposing them; this is the last chance.
    private static readonly ConcurrentDictionary<HostProcess, byte> Running = new();

    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    static HostProcess() => AppDomain.CurrentDomain.ProcessExit += (_, _) =>
    {
        foreach (var host in Running.Keys)
        {
            host.Dispose();
        }
    };

    private HostProcess(string name, int httpPort, int siloPort, IReadOnlyDictionary<string, string> environment)
    {
        Name = name;
        HttpPort = httpPort;
        SiloPort = siloPort;
        BaseAddress = new Uri($"http://127.0.0.1:{httpPort.ToString(CultureInfo.InvariantCulture)}");
        var directory = AppContext.BaseDirectory;
        var start = new ProcessStartInfo
        {
            // The dotnet host itself, not a shell around it: the pid killed is the pid that runs the silo.
            FileName = DotnetPath(),
            WorkingDirectory = directory,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        start.ArgumentList.Add(Path.Combine(directory, "ClaimStore.Api.dll"));
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add(BaseAddress.ToString().TrimEnd('/'));
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        _process = new Process { StartInfo = start };
        _process.OutputDataReceived += (_, e) => Keep(e.Data);
        _process.ErrorDataReceived += (_, e) => Keep(e.Data);
        _process.Start();
        Running.TryAdd(this, 0);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string Name { get; }

    public int HttpPort { get; }

    public int SiloPort { get; }

    public Uri BaseAddress { get; }

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>
    /// Starts a host on <paramref name="connectionString"/>: Development without API keys (so the
    /// tests need none), no sample data, no write rate limit (every writer of a test shares one
    /// loopback address), Orleans on the given ports and cluster.
    /// </summary>
    public static HostProcess Start(
        string name, string connectionString, string clusteringMode, string clusterId, IReadOnlyDictionary<string, string>? extra = null)
    {
        var (http, silo, gateway) = (FreePort(), FreePort(), FreePort());
        var environment = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["DOTNET_ENVIRONMENT"] = "Development",
            ["ASPNETCORE_URLS"] = "",
            ["ConnectionStrings__ClaimStore"] = connectionString,
            ["Sample__LoadOnStart"] = "false",
            ["Auth__RateLimit__PermitsPerSecond"] = "0",
            ["Orleans__ClusteringMode"] = clusteringMode,
            ["Orleans__ClusterId"] = clusterId,
            ["Orleans__ServiceId"] = clusterId,
            ["Orleans__SiloPort"] = silo.ToString(CultureInfo.InvariantCulture),
            ["Orleans__GatewayPort"] = gateway.ToString(CultureInfo.InvariantCulture),
            ["Orleans__AdvertisedIP"] = "127.0.0.1",
            ["Logging__LogLevel__Default"] = "Warning",
            ["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information",
            ["Logging__Console__FormatterName"] = "simple",
            ["Logging__Console__FormatterOptions__SingleLine"] = "true",
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, string>())
        {
            environment[key] = value;
        }

        return new HostProcess(name, http, silo, environment);
    }

    /// <summary>Waits until <c>/health</c> answers 200 (silo active, database up).</summary>
    public async Task WaitHealthyAsync(TimeSpan limit)
    {
        using var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(2) };
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < limit)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"{Name} exited with code {_process.ExitCode} while starting:\n{Output()}");
            }

            try
            {
                using var response = await client.GetAsync(new Uri("/health", UriKind.Relative));
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet.
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"{Name} was not healthy within {limit.TotalSeconds} s:\n{Output()}");
    }

    /// <summary>
    /// SIGKILL (what <see cref="Process.Kill()"/> sends on Linux): the process ends at once, without
    /// running any of its shutdown code. Returns the exit code, 137 (128 + 9) when SIGKILL ended it.
    /// </summary>
    public int Kill()
    {
        _process.Kill(entireProcessTree: false);
        if (!_process.WaitForExit(10_000))
        {
            throw new TimeoutException($"{Name} (pid {_process.Id}) did not die within 10 s of SIGKILL.");
        }

        Running.TryRemove(this, out _);
        return _process.ExitCode;
    }

    /// <summary>How many of the lines the host wrote contain <paramref name="text"/>.</summary>
    public int LinesContaining(string text) => _output.Count(line => line.Contains(text, StringComparison.Ordinal));

    /// <summary>The last lines the host wrote, with seconds since it started.</summary>
    public string Output(int lines = 60) => string.Join('\n', _output.TakeLast(lines));

    public void WriteOutput(ITestOutputHelper output, int lines = 40)
    {
        output.WriteLine($"--- last output of {Name} (pid {ProcessId}) ---");
        output.WriteLine(Output(lines));
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
            // Never started or already reaped.
        }
        finally
        {
            Running.TryRemove(this, out _);
            _process.Dispose();
        }
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        // First 400 characters: enough to follow what happened, without every stack trace in full.
        var text = line.Length > 400 ? line[..400] + " ..." : line;
        _output.Enqueue($"{_clock.Elapsed.TotalSeconds,6:F2}s {text}");
        while (_output.Count > OutputLinesKept && _output.TryDequeue(out _))
        {
        }
    }

    private static string DotnetPath()
    {
        // Under `dotnet test` the test host runs in dotnet itself; DOTNET_HOST_PATH is set by the SDK otherwise.
        var current = Environment.ProcessPath;
        if (current is not null && Path.GetFileNameWithoutExtension(current) == "dotnet")
        {
            return current;
        }

        return Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } hostPath ? hostPath : "dotnet";
    }

    public static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

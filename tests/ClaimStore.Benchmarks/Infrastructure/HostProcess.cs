using System.Globalization;
using System.Reflection;
using ClaimStore.Testing;

namespace ClaimStore.Benchmarks.Infrastructure;

/// <summary>
/// The ClaimStore host under test, started through the test kit (<see cref="ClaimStoreHost"/>) from its
/// own Release output, on loopback ports of its own, over the benchmark's database: Development with no
/// API keys (open), no sample, and the write rate limit off. Its output goes to a log file.
/// </summary>
public sealed class HostProcess : IAsyncDisposable
{
    public const string HostDllVariable = "CLAIMSTORE_BENCH_HOST_DLL";

    private readonly ClaimStoreHost _host;
    private readonly StreamWriter _log;

    private HostProcess(ClaimStoreHost host, StreamWriter log)
    {
        _host = host;
        _log = log;
    }

    public Uri BaseAddress => _host.BaseAddress;

    public int Pid => _host.ProcessId;

    public static string HostDll
    {
        get
        {
            var configured = Environment.GetEnvironmentVariable(HostDllVariable);
            if (!string.IsNullOrWhiteSpace(configured))
            {
                return configured;
            }

            var configuration = typeof(HostProcess).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Release";
            return Path.Combine(Checkout.Root, "src", "ClaimStore.Api", "bin", configuration, "net10.0", "ClaimStore.Api.dll");
        }
    }

    public static async Task<HostProcess> StartAsync(string connectionString, string logPath, IReadOnlyDictionary<string, string>? settings = null)
    {
        var dll = HostDll;
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException(
                $"The host {dll} is not built: run the benchmark with `dotnet run -c Release --project tests/ClaimStore.Benchmarks`, which builds it, or set {HostDllVariable}.", dll);
        }

        var httpPort = LoopbackPorts.Next();
        var environment = new Dictionary<string, string?>
        {
            ["ConnectionStrings:ClaimStore"] = connectionString,
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["DOTNET_ENVIRONMENT"] = "Development",
            ["ASPNETCORE_URLS"] = null,
            ["Sample:LoadOnStart"] = "false",
            ["Orleans:ClusterId"] = $"bench-{httpPort.ToString(CultureInfo.InvariantCulture)}",
            ["Auth:RateLimit:PermitsPerSecond"] = "0",
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:Microsoft.Hosting.Lifetime"] = "Information",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            environment[key] = value;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(logPath)!);
        var log = new StreamWriter(logPath, append: true) { AutoFlush = true };
        var host = ClaimStoreHost.Start(new ClaimStoreHostOptions
        {
            Name = "host",
            HostPath = dll,
            HttpPort = httpPort,
            Settings = environment,
            Log = line => WriteLog(log, line),
        });
        var process = new HostProcess(host, log);
        try
        {
            await host.WaitHealthyAsync(TimeSpan.FromSeconds(180));
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
        {
            await process.DisposeAsync();
            throw new InvalidOperationException($"The host did not start; see {logPath}.", ex);
        }

        return process;
    }

    public HttpClient CreateClient(int maxConnections = 64) => StoreApi.CreateClient(BaseAddress, maxConnections);

    /// <summary>Resident and peak resident memory of the host process, in MiB (from /proc).</summary>
    public (double RssMiB, double PeakMiB) Memory() => MemoryOf(Pid);

    /// <summary>Resident and peak resident memory of process <paramref name="pid"/>, in MiB (from /proc).</summary>
    public static (double RssMiB, double PeakMiB) MemoryOf(int pid)
    {
        double rss = double.NaN, peak = double.NaN;
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                rss = Kilobytes(line) / 1024;
            }
            else if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                peak = Kilobytes(line) / 1024;
            }
        }

        return (rss, peak);
    }

    /// <summary>
    /// What the .NET GC held after its latest collection and what it had committed, in MiB, from the host's
    /// <c>/metrics</c>: how much of the resident memory is the managed heap.
    /// </summary>
    public async Task<(double HeapMiB, double CommittedMiB)> GcMemoryAsync(HttpClient client)
    {
        double heap = 0, committed = double.NaN;
        foreach (var line in (await client.GetStringAsync("metrics")).Split('\n'))
        {
            if (line.StartsWith("dotnet_gc_last_collection_heap_size_bytes{", StringComparison.Ordinal))
            {
                heap += Sample(line);
            }
            else if (line.StartsWith("dotnet_gc_last_collection_memory_committed_size_bytes{", StringComparison.Ordinal))
            {
                committed = Sample(line);
            }
        }

        return (heap / (1024 * 1024), committed / (1024 * 1024));

        static double Sample(string line) => double.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Stops the host as an operator would (SIGTERM, graceful shutdown), killing it if it takes over a minute.</summary>
    public Task StopAsync() => _host.StopAsync(TimeSpan.FromSeconds(60));

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await _host.DisposeAsync();
        lock (_log)
        {
            _log.Dispose();
        }
    }

    private static double Kilobytes(string statusLine) =>
        double.Parse(statusLine.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);

    private static void WriteLog(StreamWriter log, string line)
    {
        lock (log)
        {
            try
            {
                log.WriteLine(line);
            }
            catch (ObjectDisposedException)
            {
                // The last lines of a stopping host after the log was closed.
            }
        }
    }
}

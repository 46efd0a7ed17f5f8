using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Reflection;

namespace ClaimStore.Benchmarks.Infrastructure;

/// <summary>
/// The ClaimStore host under test, as a child process (<c>dotnet ClaimStore.Api.dll</c> from its own
/// Release output), on loopback ports of its own, over the benchmark's database: Development with no
/// API keys (open), no sample, and the write rate limit off. Its output goes to a log file.
/// </summary>
public sealed class HostProcess : IAsyncDisposable
{
    public const string HostDllVariable = "CLAIMSTORE_BENCH_HOST_DLL";

    private static readonly Lock LiveGate = new();
    private static readonly HashSet<Process> Live = [];

    private readonly Process _process;
    private readonly StreamWriter _log;

    static HostProcess()
    {
        // Never leave a host behind, whatever ends the benchmark.
        AppDomain.CurrentDomain.ProcessExit += (_, _) => KillAll();
        Console.CancelKeyPress += (_, _) => KillAll();
    }

    private HostProcess(Process process, StreamWriter log, Uri baseAddress)
    {
        _process = process;
        _log = log;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public int Pid => _process.Id;

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

        var httpPort = FreePort();
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } dotnet && File.Exists(dotnet) ? dotnet : "dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(dll);
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add($"http://127.0.0.1:{httpPort}");
        var environment = start.Environment;
        environment["ConnectionStrings__ClaimStore"] = connectionString;
        environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        environment["DOTNET_ENVIRONMENT"] = "Development";
        environment["ASPNETCORE_URLS"] = null;
        environment["Sample__LoadOnStart"] = "false";
        environment["Orleans__SiloPort"] = FreePort().ToString(CultureInfo.InvariantCulture);
        environment["Orleans__GatewayPort"] = FreePort().ToString(CultureInfo.InvariantCulture);
        environment["Orleans__ClusterId"] = $"bench-{httpPort}";
        environment["Auth__RateLimit__PermitsPerSecond"] = "0";
        environment["Logging__LogLevel__Default"] = "Warning";
        environment["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information";
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(logPath)!);
        var log = new StreamWriter(logPath, append: true) { AutoFlush = true };
        var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => WriteLog(log, e.Data);
        process.ErrorDataReceived += (_, e) => WriteLog(log, e.Data);
        process.Start();
        lock (LiveGate)
        {
            Live.Add(process);
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var host = new HostProcess(process, log, new Uri($"http://127.0.0.1:{httpPort}/"));
        await host.WaitHealthyAsync(TimeSpan.FromSeconds(180), logPath);
        return host;
    }

    public HttpClient CreateClient(int maxConnections = 64) => StoreApi.CreateClient(BaseAddress, maxConnections);

    /// <summary>Resident and peak resident memory of the host process, in MiB (from /proc).</summary>
    public (double RssMiB, double PeakMiB) Memory()
    {
        double rss = double.NaN, peak = double.NaN;
        foreach (var line in File.ReadLines($"/proc/{Pid}/status"))
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

    /// <summary>Stops the host as an operator would (SIGTERM, graceful shutdown), killing it if it takes over a minute.</summary>
    public async Task StopAsync()
    {
        if (!_process.HasExited)
        {
            using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync();
            }

            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            try
            {
                await _process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }

        lock (LiveGate)
        {
            Live.Remove(_process);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _process.Dispose();
        lock (_log)
        {
            _log.Dispose();
        }
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private async Task WaitHealthyAsync(TimeSpan timeout, string logPath)
    {
        using var client = StoreApi.CreateClient(BaseAddress, 2);
        client.Timeout = TimeSpan.FromSeconds(5);
        var until = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < until)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"The host exited with code {_process.ExitCode} while starting; see {logPath}.");
            }

            try
            {
                using var response = await client.GetAsync("health");
                if (response.IsSuccessStatusCode)
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

        await StopAsync();
        throw new TimeoutException($"The host was not healthy within {timeout}; see {logPath}.");
    }

    private static double Kilobytes(string statusLine) =>
        double.Parse(statusLine.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);

    private static void WriteLog(StreamWriter log, string? line)
    {
        if (line is null)
        {
            return;
        }

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

    private static void KillAll()
    {
        lock (LiveGate)
        {
            foreach (var process in Live)
            {
                try
                {
                    if (!process.HasExited)
                    {
                        process.Kill(entireProcessTree: true);
                    }
                }
                catch (InvalidOperationException)
                {
                    // Gone already.
                }
            }

            Live.Clear();
        }
    }
}

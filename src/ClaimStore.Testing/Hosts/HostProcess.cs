using System.Diagnostics;
using System.Globalization;
using System.Net;

namespace ClaimStore.Testing.Hosts;

/// <summary>
/// One ClaimStore host of the cluster: <c>dotnet ClaimStore.Api.dll</c> in a process of its own, on
/// ports chosen once, so that its address stays the same when it is killed and started again.
/// </summary>
internal sealed class HostProcess(int index, string hostPath, HostLog log)
{
    private readonly Lock _gate = new();
    private Process? _process;

    public int Index { get; } = index;

    public int HttpPort { get; } = FreePort();

    public int SiloPort { get; } = FreePort();

    public int GatewayPort { get; } = FreePort();

    public Uri BaseAddress => new($"http://127.0.0.1:{HttpPort.ToString(CultureInfo.InvariantCulture)}/");

    public HostLog Log { get; } = log;

    public int? ProcessId
    {
        get
        {
            lock (_gate)
            {
                return _process is { HasExited: false } p ? p.Id : null;
            }
        }
    }

    public void Start(IReadOnlyDictionary<string, string> environment)
    {
        lock (_gate)
        {
            if (_process is { HasExited: false })
            {
                throw new InvalidOperationException($"Host {Index} is running already (pid {_process.Id}).");
            }

            _process?.Dispose();
            var start = new ProcessStartInfo
            {
                // The dotnet host itself, not a shell around it: the pid killed is the pid that runs the silo.
                FileName = DotnetPath(),
                WorkingDirectory = Path.GetDirectoryName(hostPath)!,
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                RedirectStandardInput = true,
            };
            start.ArgumentList.Add(hostPath);
            start.ArgumentList.Add("--urls");
            start.ArgumentList.Add(BaseAddress.ToString().TrimEnd('/'));
            foreach (var (key, value) in environment)
            {
                start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
            }

            start.Environment["Orleans__SiloPort"] = SiloPort.ToString(CultureInfo.InvariantCulture);
            start.Environment["Orleans__GatewayPort"] = GatewayPort.ToString(CultureInfo.InvariantCulture);
            var process = new Process { StartInfo = start };
            process.OutputDataReceived += (_, e) => Log.Add(e.Data);
            process.ErrorDataReceived += (_, e) => Log.Add(e.Data);
            process.Start();
            ProcessReaper.Track(process);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            _process = process;
        }
    }

    /// <summary>Waits until <c>/health</c> answers 200: the silo is active and the database answers.</summary>
    public async Task WaitHealthyAsync(TimeSpan limit, CancellationToken ct)
    {
        using var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(2) };
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < limit)
        {
            Process? process;
            lock (_gate)
            {
                process = _process;
            }

            if (process is null || process.HasExited)
            {
                throw new InvalidOperationException(
                    $"Host {Index} exited{(process is null ? "" : $" with code {process.ExitCode}")} while starting:{Environment.NewLine}{Tail()}");
            }

            try
            {
                using var response = await client.GetAsync(new Uri("health", UriKind.Relative), ct);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
            {
                // Not listening yet.
            }

            await Task.Delay(100, ct);
        }

        throw new TimeoutException($"Host {Index} was not healthy within {limit.TotalSeconds:0} s:{Environment.NewLine}{Tail()}");
    }

    /// <summary>SIGKILL: the process ends at once and none of the host's shutdown code runs.</summary>
    public async Task KillAsync()
    {
        Process? process;
        lock (_gate)
        {
            process = _process;
        }

        if (process is null || process.HasExited)
        {
            return;
        }

        process.Kill(entireProcessTree: true);
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await process.WaitForExitAsync(limit.Token);
        ProcessReaper.Forget(process);
    }

    private string Tail() => string.Join(Environment.NewLine, Log.Text().Split(Environment.NewLine).TakeLast(40));

    private static string DotnetPath()
    {
        // Under `dotnet test` the test host is dotnet itself; the SDK sets DOTNET_HOST_PATH for other runs.
        var current = Environment.ProcessPath;
        if (current is not null && Path.GetFileNameWithoutExtension(current) == "dotnet")
        {
            return current;
        }

        return Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } hostPath && File.Exists(hostPath) ? hostPath : "dotnet";
    }

    internal static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

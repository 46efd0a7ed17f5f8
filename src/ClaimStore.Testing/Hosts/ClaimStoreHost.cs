using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using ClaimStore.Testing.Hosts;

namespace ClaimStore.Testing;

/// <summary>What <see cref="ClaimStoreHost.Start"/> starts.</summary>
public sealed class ClaimStoreHostOptions
{
    /// <summary>Names the host in its log lines and messages.</summary>
    public string Name { get; init; } = "host";

    /// <summary>The host's <c>ClaimStore.Api.dll</c>; unset, as for <see cref="ClaimStoreClusterOptions.HostPath"/>.</summary>
    public string? HostPath { get; init; }

    /// <summary>
    /// The host's configuration, as environment variables (<c>Orleans:SiloPort</c> or <c>Orleans__SiloPort</c>);
    /// a null value removes a variable this process would pass on. The ports come from the options below.
    /// </summary>
    public IReadOnlyDictionary<string, string?> Settings { get; init; } = new Dictionary<string, string?>();

    /// <summary>The HTTP port; a free one when 0.</summary>
    public int HttpPort { get; init; }

    /// <summary>The silo port; a free one when 0.</summary>
    public int SiloPort { get; init; }

    /// <summary>The gateway port; a free one when 0.</summary>
    public int GatewayPort { get; init; }

    /// <summary>Receives every line the host writes, as kept (seconds since the first start, then the line).</summary>
    public Action<string>? Log { get; init; }
}

/// <summary>
/// One ClaimStore host process: <c>dotnet ClaimStore.Api.dll --urls http://127.0.0.1:PORT</c>, with its
/// output kept. Its ports are chosen once, so that it keeps its address when killed and started again.
/// </summary>
public sealed class ClaimStoreHost : IAsyncDisposable, IDisposable
{
    // Enough to follow a long test; the oldest lines go first.
    private const int LinesKept = 50_000;

    /// <summary>The host's assembly, started as <c>dotnet ClaimStore.Api.dll</c>.</summary>
    internal const string HostAssembly = "ClaimStore.Api.dll";

    /// <summary>The folder beside the kit's assembly where the package's build targets put the host.</summary>
    internal const string PackagedHostFolder = "claimstore-host";

    private readonly ClaimStoreHostOptions _options;
    private IReadOnlyDictionary<string, string?> _settings;
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Lock _gate = new();
    private Process? _process;

    private ClaimStoreHost(ClaimStoreHostOptions options, string hostPath)
    {
        _options = options;
        _settings = options.Settings;
        HostPath = hostPath;
        HttpPort = options.HttpPort > 0 ? options.HttpPort : LoopbackPorts.Next();
        SiloPort = options.SiloPort > 0 ? options.SiloPort : LoopbackPorts.Next();
        GatewayPort = options.GatewayPort > 0 ? options.GatewayPort : LoopbackPorts.Next();
    }

    public string Name => _options.Name;

    public string HostPath { get; }

    public int HttpPort { get; }

    public int SiloPort { get; }

    public int GatewayPort { get; }

    public Uri BaseAddress => new($"http://127.0.0.1:{HttpPort.ToString(CultureInfo.InvariantCulture)}/");

    /// <summary>The process id of the latest start (also after it ended).</summary>
    public int ProcessId
    {
        get
        {
            lock (_gate)
            {
                return _process?.Id ?? 0;
            }
        }
    }

    /// <summary>Whether the latest start is still running.</summary>
    public bool IsRunning
    {
        get
        {
            lock (_gate)
            {
                return _process is { HasExited: false };
            }
        }
    }

    /// <summary>Starts the host; <see cref="WaitHealthyAsync"/> waits until it serves.</summary>
    public static ClaimStoreHost Start(ClaimStoreHostOptions options)
    {
        var host = Create(options);
        host.Restart();
        return host;
    }

    /// <summary>
    /// Starts the host again on the same ports, after it ended or was killed; <paramref name="settings"/>,
    /// when given, replace the settings of the earlier start (a new connection string, say).
    /// </summary>
    public void Restart(IReadOnlyDictionary<string, string?>? settings = null)
    {
        lock (_gate)
        {
            if (_process is { HasExited: false })
            {
                throw new InvalidOperationException($"{Name} is running already (pid {_process.Id}).");
            }

            _process?.Dispose();
            var start = new ProcessStartInfo
            {
                // The dotnet host itself, not a shell around it: the pid killed is the pid that runs the silo.
                FileName = DotnetPath(),
                WorkingDirectory = Path.GetDirectoryName(HostPath)!,
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                RedirectStandardInput = true,
            };
            start.ArgumentList.Add(HostPath);
            start.ArgumentList.Add("--urls");
            start.ArgumentList.Add(BaseAddress.ToString().TrimEnd('/'));
            _settings = settings ?? _settings;
            foreach (var (key, value) in _settings)
            {
                start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
            }

            start.Environment["Orleans__SiloPort"] = SiloPort.ToString(CultureInfo.InvariantCulture);
            start.Environment["Orleans__GatewayPort"] = GatewayPort.ToString(CultureInfo.InvariantCulture);
            var process = new Process { StartInfo = start };
            process.OutputDataReceived += (_, e) => Keep(e.Data);
            process.ErrorDataReceived += (_, e) => Keep(e.Data);
            process.Start();
            ProcessReaper.Track(process);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            _process = process;
        }
    }

    /// <summary>Waits until <c>/health</c> answers 200: the silo is active and the database answers.</summary>
    public async Task WaitHealthyAsync(TimeSpan limit, CancellationToken cancellationToken = default)
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
                    $"{Name} exited{(process is null ? "" : $" with code {process.ExitCode}")} while starting:{Environment.NewLine}{Output(40)}");
            }

            try
            {
                using var response = await client.GetAsync(new Uri("health", UriKind.Relative), cancellationToken);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                // Not listening yet.
            }

            await Task.Delay(100, cancellationToken);
        }

        throw new TimeoutException($"{Name} was not healthy within {limit.TotalSeconds:0} s:{Environment.NewLine}{Output(40)}");
    }

    /// <summary>
    /// SIGKILL: the process ends at once and none of the host's shutdown code runs. Returns the exit
    /// code, 137 (128 + 9) when SIGKILL ended it; that of the earlier end if it was not running.
    /// </summary>
    public async Task<int> KillAsync()
    {
        var process = Current();
        if (process is null)
        {
            return 0;
        }

        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
        }

        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await process.WaitForExitAsync(limit.Token);
        ProcessReaper.Forget(process);
        return process.ExitCode;
    }

    /// <summary>Stops the host as an operator would (SIGTERM, graceful shutdown), killing it after <paramref name="grace"/>.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        var process = Current();
        if (process is null || process.HasExited)
        {
            return;
        }

        using (var term = Process.Start("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            await term.WaitForExitAsync();
        }

        using var timeout = new CancellationTokenSource(grace);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            await KillAsync();
        }

        ProcessReaper.Forget(process);
    }

    /// <summary>The last <paramref name="lines"/> lines the host wrote (all its starts), with seconds since the first.</summary>
    public string Output(int lines = int.MaxValue) => string.Join(Environment.NewLine, _lines.TakeLast(lines));

    /// <summary>How many of the lines kept contain <paramref name="text"/>.</summary>
    public int LinesContaining(string text) => _lines.Count(line => line.Contains(text, StringComparison.Ordinal));

    public void Dispose()
    {
        lock (_gate)
        {
            if (_process is { } process)
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                    process.WaitForExit(10_000);
                }

                ProcessReaper.Forget(process);
                process.Dispose();
                _process = null;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        lock (_gate)
        {
            _process?.Dispose();
            _process = null;
        }
    }

    /// <summary>A host with its ports chosen, not started yet.</summary>
    internal static ClaimStoreHost Create(ClaimStoreHostOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new ClaimStoreHost(options, ResolveHostPath(options.HostPath));
    }

    internal static string ResolveHostPath(string? hostPath)
    {
        var given = hostPath
            ?? (Environment.GetEnvironmentVariable(ClaimStoreClusterOptions.HostPathVariable) is { Length: > 0 } configured ? configured : null);
        // A project reference to the kit puts the host beside it; the package puts its copy in a folder of its own.
        var kit = Path.GetDirectoryName(typeof(ClaimStoreHost).Assembly.Location) ?? AppContext.BaseDirectory;
        string[] candidates = given is not null
            ? [Path.GetFullPath(given)]
            : [Path.Combine(kit, HostAssembly), Path.Combine(kit, PackagedHostFolder, HostAssembly)];
        return candidates.FirstOrDefault(File.Exists) ?? throw new FileNotFoundException(
            $"The ClaimStore host does not exist at {string.Join(" nor at ", candidates)}: reference ClaimStore.Testing from the test project "
            + $"(it brings the host), or set HostPath or {ClaimStoreClusterOptions.HostPathVariable} to a ClaimStore.Api.dll.", candidates[0]);
    }

    private Process? Current()
    {
        lock (_gate)
        {
            return _process;
        }
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        var text = $"{_clock.Elapsed.TotalSeconds,7:F2}s {line}";
        _lines.Enqueue(text);
        while (_lines.Count > LinesKept && _lines.TryDequeue(out _))
        {
        }

        _options.Log?.Invoke(text);
    }

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
}

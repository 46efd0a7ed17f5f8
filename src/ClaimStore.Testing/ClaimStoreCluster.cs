using System.Globalization;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ClaimStore.Testing.Database;

namespace ClaimStore.Testing;

/// <summary>
/// A local ClaimStore cluster for integration tests: PostgreSQL (embedded in a temporary directory,
/// or a given server) and N host processes clustered through it, each on free loopback ports.
/// </summary>
/// <example>
/// <code>
/// await using var cluster = await ClaimStoreCluster.StartAsync(new ClaimStoreClusterOptions { Hosts = 3 });
/// using var client = cluster.CreateClient(0, ClaimStoreRole.Writer);
/// </code>
/// </example>
public sealed class ClaimStoreCluster : IAsyncDisposable
{
    /// <summary>The header every request of a client made by <see cref="CreateClient"/> carries.</summary>
    public const string ApiKeyHeader = "X-Api-Key";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private const string WarmUpActor = "kit-warm-up";

    private readonly ClaimStoreClusterOptions _options;
    private readonly ClaimStoreHost[] _hosts;
    private readonly ClusterDatabase _database;
    private readonly Dictionary<ClaimStoreRole, string> _keys;
    private readonly Lock _captureGate = new();
    private readonly List<Action<string>> _captures = [];
    private readonly SemaphoreSlim _operation = new(1, 1);
    private bool _disposed;

    private ClaimStoreCluster(ClaimStoreClusterOptions options, string clusterId, string hostPath, ClusterDatabase database)
    {
        _options = options;
        ClusterId = clusterId;
        _database = database;
        _keys = Enum.GetValues<ClaimStoreRole>().ToDictionary(role => role, _ => RandomNumberGenerator.GetHexString(64, lowercase: true));
        _hosts = [.. Enumerable.Range(0, options.Hosts).Select(i => ClaimStoreHost.Create(new ClaimStoreHostOptions
        {
            Name = $"host {i.ToString(CultureInfo.InvariantCulture)}",
            HostPath = hostPath,
            Log = line => Forward($"host {i.ToString(CultureInfo.InvariantCulture)}: {line}"),
        }))];
    }

    /// <summary>The Orleans cluster id of the hosts; unique per cluster, and part of its database names.</summary>
    public string ClusterId { get; }

    /// <summary>How many hosts the cluster has (running or killed).</summary>
    public int HostCount => _hosts.Length;

    /// <summary>Connection string of the store's database.</summary>
    public string ConnectionString => _database.ConnectionString;

    /// <summary>The name of the store's current database.</summary>
    public string DatabaseName => _database.DatabaseName;

    /// <summary>The embedded server's data directory; null when the cluster uses a given server.</summary>
    public string? DataDirectory => _database.Server.DataDirectory;

    /// <summary>The PostgreSQL server under the cluster, for faults beyond a stop: a crash (<c>HaltAsync(immediate: true)</c>), a freeze.</summary>
    public ClaimStorePostgres Postgres => _database.Server;

    /// <summary>The <c>ClaimStore.Api.dll</c> the hosts run.</summary>
    public string HostPath => _hosts[0].HostPath;

    /// <summary>
    /// Starts PostgreSQL and the hosts, and returns once every host answers <c>/health</c> with 200 and, on a
    /// database created for the cluster, the store has been reset once (warming the hosts' reset path).
    /// Whatever was started is stopped again if this fails.
    /// </summary>
    public static async Task<ClaimStoreCluster> StartAsync(ClaimStoreClusterOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new ClaimStoreClusterOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Hosts, 1, nameof(options));
        var hostPath = ClaimStoreHost.ResolveHostPath(options.HostPath);
        // Lower case hex: it goes into database names, which the embedded server's rules keep to [a-z0-9_].
        var clusterId = RandomNumberGenerator.GetHexString(10, lowercase: true);
        var database = await ClusterDatabase.StartAsync(options, clusterId, cancellationToken);
        var cluster = new ClaimStoreCluster(options, clusterId, hostPath, database);
        try
        {
            await cluster.StartHostsAsync(Enumerable.Range(0, options.Hosts), cancellationToken);
            if (database.IsNew)
            {
                await cluster.WarmUpAsync(cancellationToken);
            }
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }

        return cluster;
    }

    /// <summary>The base address of host <paramref name="host"/> (0-based), e.g. <c>http://127.0.0.1:41234/</c>; the workbench is its root.</summary>
    public Uri BaseAddress(int host) => Host(host).BaseAddress;

    /// <summary>The API key the hosts accept for <paramref name="role"/>; new keys for every cluster.</summary>
    public string ApiKey(ClaimStoreRole role) => _keys[role];

    /// <summary>The process id of a running host, or null while it is killed.</summary>
    public int? ProcessId(int host) => Host(host) is { IsRunning: true } running ? running.ProcessId : null;

    /// <summary>
    /// An <see cref="HttpClient"/> for host <paramref name="host"/> that sends the key of
    /// <paramref name="role"/>; pass <paramref name="handler"/> to put the caller's own handler (a retry
    /// policy, say) under it. The caller disposes it.
    /// </summary>
    public HttpClient CreateClient(int host = 0, ClaimStoreRole role = ClaimStoreRole.Writer, HttpMessageHandler? handler = null)
    {
        var client = handler is null ? new HttpClient() : new HttpClient(handler);
        client.BaseAddress = BaseAddress(host);
        client.DefaultRequestHeaders.Add(ApiKeyHeader, ApiKey(role));
        return client;
    }

    /// <summary>Kills host <paramref name="host"/> with SIGKILL (none of its shutdown code runs) and waits until it is gone.</summary>
    public async Task KillAsync(int host, CancellationToken cancellationToken = default)
    {
        await _operation.WaitAsync(cancellationToken);
        try
        {
            await Host(host).KillAsync();
        }
        finally
        {
            _operation.Release();
        }
    }

    /// <summary>Starts host <paramref name="host"/> again, on its old address, and waits until it is healthy.</summary>
    public async Task StartAsync(int host, CancellationToken cancellationToken = default)
    {
        await _operation.WaitAsync(cancellationToken);
        try
        {
            await StartHostsAsync([host], cancellationToken);
        }
        finally
        {
            _operation.Release();
        }
    }

    /// <summary>
    /// Stops the embedded PostgreSQL server (a clean, fast shutdown: every session ends); the hosts
    /// keep running and answer 503 until <see cref="StartDatabaseAsync"/>. Not for a given server.
    /// </summary>
    public Task StopDatabaseAsync() => _database.Server.HaltAsync();

    /// <summary>Starts the embedded server again, on the same port: the hosts reconnect on their own.</summary>
    public Task StartDatabaseAsync() => _database.Server.ResumeAsync();

    /// <summary>
    /// An empty store without a restart: every running host is asked to reset (<c>POST /testing/reset</c>,
    /// which the kit's hosts allow). Each ends the cluster's actor activations, empties the store's tables and
    /// starts its own read side and live feeds over; the hosts keep running at their addresses, so clients made
    /// before stay valid. No client may write meanwhile. A killed host starts on the empty store later.
    /// </summary>
    public async Task ResetAsync(CancellationToken cancellationToken = default)
    {
        await _operation.WaitAsync(cancellationToken);
        try
        {
            await ResetHostsAsync(cancellationToken);
        }
        finally
        {
            _operation.Release();
        }
    }

    private async Task ResetHostsAsync(CancellationToken cancellationToken)
    {
        var running = Enumerable.Range(0, _hosts.Length).Where(i => _hosts[i].IsRunning).ToList();
        if (running.Count == 0)
        {
            return;
        }

        // The first host ends the actors and empties the store; the others find both done and only rewind
        // their own read side, all at once.
        await ResetHostAsync(running[0], cancellationToken);
        await Task.WhenAll(running.Skip(1).Select(host => ResetHostAsync(host, cancellationToken)));
    }

    private async Task ResetHostAsync(int host, CancellationToken cancellationToken)
    {
        using var client = CreateClient(host, ClaimStoreRole.Admin);
        using var response = await client.PostAsync("testing/reset", content: null, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new ClaimStoreResetException(
                $"POST /testing/reset on host {host.ToString(CultureInfo.InvariantCulture)} answered {(int)response.StatusCode}: " +
                await response.Content.ReadAsStringAsync(cancellationToken));
        }
    }

    /// <summary>
    /// Records claims (objects with the fields of <c>POST /claims/batch</c>'s items, <c>actorId</c>
    /// included) through host 0, in batches; actors not yet registered are registered first, with
    /// their id as name and kind <c>organisation</c>. Throws if the host rejects any claim.
    /// </summary>
    public async Task<ClaimImportResult> ImportAsync<TClaim>(IEnumerable<TClaim> claims, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(claims);
        var items = claims.Select(c => JsonSerializer.SerializeToNode(c, Json) as JsonObject
            ?? throw new ArgumentException("Every claim must serialise to a JSON object.", nameof(claims))).ToList();
        using var client = CreateClient(0, ClaimStoreRole.Writer);
        var actors = items.Select(i => i["actorId"]?.GetValue<string>()).OfType<string>().Distinct(StringComparer.Ordinal);
        foreach (var actor in actors)
        {
            await RegisterIfMissingAsync(client, actor, cancellationToken);
        }

        int created = 0, unchanged = 0;
        var rejected = new List<string>();
        // The host takes up to 1,000 claims a batch; 500 keeps a batch of long quotes under its body limit.
        foreach (var chunk in items.Chunk(500))
        {
            using var response = await client.PostAsJsonAsync("claims/batch", new { claims = chunk }, Json, cancellationToken);
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                throw new ClaimStoreImportException($"POST /claims/batch answered {(int)response.StatusCode}: {body}");
            }

            foreach (var result in JsonNode.Parse(body)!["results"]!.AsArray())
            {
                switch (result!["status"]!.GetValue<string>())
                {
                    case "created": created++; break;
                    case "unchanged": unchanged++; break;
                    default: rejected.Add(result.ToJsonString()); break;
                }
            }
        }

        if (rejected.Count > 0)
        {
            throw new ClaimStoreImportException(
                $"{rejected.Count} claim(s) rejected:{Environment.NewLine}{string.Join(Environment.NewLine, rejected.Take(20))}");
        }

        return new ClaimImportResult(created, unchanged);
    }

    /// <summary>Everything host <paramref name="host"/> wrote since the cluster started, across its restarts.</summary>
    public string Logs(int host) => Host(host).Output();

    /// <summary>
    /// Sends every line the hosts write to <paramref name="writeLine"/> until the result is disposed:
    /// a test's output, for instance, so that a failing test shows what the hosts said meanwhile.
    /// </summary>
    public IDisposable CaptureLogs(Action<string> writeLine)
    {
        ArgumentNullException.ThrowIfNull(writeLine);
        lock (_captureGate)
        {
            _captures.Add(writeLine);
        }

        return new Capture(this, writeLine);
    }

    /// <summary>Kills every host and stops (and, unless kept, deletes) PostgreSQL.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        try
        {
            await Task.WhenAll(_hosts.Select(h => h.KillAsync()));
        }
        finally
        {
            await _database.DisposeAsync();
            _operation.Dispose();
        }
    }

    private async Task StartHostsAsync(IEnumerable<int> indexes, CancellationToken ct)
    {
        var environment = HostEnvironment();
        var starting = indexes.Select(Host).ToList();
        foreach (var host in starting)
        {
            host.Restart(environment);
        }

        await Task.WhenAll(starting.Select(h => h.WaitHealthyAsync(_options.StartTimeout, ct)));
    }

    /// <summary>
    /// One claim written and the store reset, before anyone uses the new cluster: a host's first reset also runs its
    /// reset path, an actor's deactivation and its log followers' first rounds for the first time, which made a
    /// test suite's first <see cref="ResetAsync"/> the slowest. Only on a database the kit has just created.
    /// </summary>
    private async Task WarmUpAsync(CancellationToken ct)
    {
        await ImportAsync([new { actorId = WarmUpActor, subject = WarmUpActor, predicate = "warms", @object = "hosts", stance = "affirms", statedAt = "2024-01-01T00:00:00Z" }], ct);
        await ResetHostsAsync(ct);
    }

    private Dictionary<string, string?> HostEnvironment()
    {
        var environment = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["DOTNET_ENVIRONMENT"] = "Production",
            ["ASPNETCORE_URLS"] = "",
            ["ConnectionStrings:ClaimStore"] = _database.ConnectionString,
            ["Sample:LoadOnStart"] = "false",
            // ResetAsync empties the store through the hosts, which keep running.
            ["Testing:AllowReset"] = "true",
            // Every client of a test shares one address and one key: the write limit would only get in the way.
            ["Auth:RateLimit:PermitsPerSecond"] = "0",
            ["Orleans:ClusteringMode"] = "postgres",
            ["Orleans:ClusterId"] = "kit-" + ClusterId,
            ["Orleans:ServiceId"] = "kit-" + ClusterId,
            ["Orleans:AdvertisedIP"] = "127.0.0.1",
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:Microsoft.Hosting.Lifetime"] = "Information",
            ["Logging:Console:FormatterName"] = "simple",
            ["Logging:Console:FormatterOptions:SingleLine"] = "true",
        };
        var index = 0;
        foreach (var (role, key) in _keys)
        {
            var name = role.ToString().ToLowerInvariant();
            var prefix = $"Auth:ApiKeys:{index.ToString(CultureInfo.InvariantCulture)}:";
            environment[prefix + "Name"] = "kit-" + name;
            environment[prefix + "Sha256"] = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
            environment[prefix + "Roles:0"] = name;
            index++;
        }

        foreach (var (key, value) in _options.HostSettings)
        {
            environment[key] = value;
        }

        return environment;
    }

    private ClaimStoreHost Host(int host)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfNegative(host);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(host, _hosts.Length);
        return _hosts[host];
    }

    private static async Task RegisterIfMissingAsync(HttpClient client, string actor, CancellationToken ct)
    {
        var path = "actors/" + Uri.EscapeDataString(actor);
        using (var existing = await client.GetAsync(path, ct))
        {
            if (existing.IsSuccessStatusCode)
            {
                return;
            }
        }

        using var register = await client.PutAsJsonAsync(path, new { name = actor, kind = "organisation" }, Json, ct);
        if (!register.IsSuccessStatusCode)
        {
            throw new ClaimStoreImportException(
                $"PUT /{path} answered {(int)register.StatusCode}: {await register.Content.ReadAsStringAsync(ct)}");
        }
    }

    private void Forward(string line)
    {
        _options.Log?.Invoke(line);
        Action<string>[] captures;
        lock (_captureGate)
        {
            captures = [.. _captures];
        }

        foreach (var capture in captures)
        {
            try
            {
                capture(line);
            }
            catch (InvalidOperationException)
            {
                // A test's output that closed as the test ended, before the capture was disposed.
            }
        }
    }

    private sealed class Capture(ClaimStoreCluster cluster, Action<string> writeLine) : IDisposable
    {
        public void Dispose()
        {
            lock (cluster._captureGate)
            {
                cluster._captures.Remove(writeLine);
            }
        }
    }
}

/// <summary>What <see cref="ClaimStoreCluster.ImportAsync{TClaim}"/> recorded: claims new to the store, and claims it held already.</summary>
public sealed record ClaimImportResult(int Created, int Unchanged);

/// <summary>The host refused claims or actors given to <see cref="ClaimStoreCluster.ImportAsync{TClaim}"/>.</summary>
public sealed class ClaimStoreImportException(string message) : Exception(message);

/// <summary>A host refused or failed to reset the store (<see cref="ClaimStoreCluster.ResetAsync"/>).</summary>
public sealed class ClaimStoreResetException(string message) : Exception(message);

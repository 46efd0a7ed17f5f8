using System.Diagnostics;
using System.Globalization;
using ClaimStore.LocalPostgres;
using ClaimStore.Storage;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace ClaimStore.Testing;

/// <summary>
/// A PostgreSQL server for tests: the embedded one (this machine's server binaries) in a directory
/// of its own, or a given server. Hands out databases, with ClaimStore's schema if asked, and for the
/// embedded server lets a test stop, crash, freeze and restart it.
/// </summary>
public sealed class ClaimStorePostgres : IAsyncDisposable
{
    private readonly EmbeddedPostgres? _embedded;
    private readonly string? _temporaryRoot;
    private readonly FileStream? _owner;
    private readonly List<string> _created = [];
    private readonly Lock _gate = new();

    private ClaimStorePostgres(EmbeddedPostgres? embedded, string serverConnectionString, (string Root, FileStream Owner)? temporary)
    {
        _embedded = embedded;
        ServerConnectionString = serverConnectionString;
        _temporaryRoot = temporary?.Root;
        _owner = temporary?.Owner;
    }

    /// <summary>An unpooled connection string for the server's maintenance database, with the right to create databases.</summary>
    public string ServerConnectionString { get; }

    /// <summary>The embedded server's data directory; null for a given server.</summary>
    public string? DataDirectory => _embedded?.DataDirectory;

    /// <summary>The port the server listens on (the same after <see cref="ResumeAsync"/>).</summary>
    public int Port => _embedded?.Port ?? new NpgsqlConnectionStringBuilder(ServerConnectionString).Port;

    /// <summary>
    /// Starts the embedded server in <paramref name="dataDirectory"/> (kept afterwards), or in a
    /// temporary directory deleted on dispose when null; with <paramref name="connectionString"/>
    /// it starts nothing and uses that server (its user must be allowed to create databases).
    /// </summary>
    public static async Task<ClaimStorePostgres> StartAsync(
        string? connectionString = null, string? dataDirectory = null, CancellationToken cancellationToken = default)
    {
        if (!string.IsNullOrWhiteSpace(connectionString))
        {
            return new ClaimStorePostgres(null, Unpooled(connectionString), null);
        }

        if (dataDirectory is not null)
        {
            var server = await Task.Run(
                () => EmbeddedPostgres.Start(new EmbeddedPostgresOptions(Path.GetFullPath(dataDirectory), "postgres")), cancellationToken);
            return new ClaimStorePostgres(server, Unpooled(server.ConnectionString), null);
        }

        return await StartTemporaryAsync(standby: false, cancellationToken);
    }

    /// <summary>
    /// Starts the embedded server with a synchronous streaming standby, in a temporary directory deleted on
    /// dispose: connection strings name both servers and reach whichever takes writes.
    /// </summary>
    public static Task<ClaimStorePostgres> StartWithStandbyAsync(CancellationToken cancellationToken = default) =>
        StartTemporaryAsync(standby: true, cancellationToken);

    /// <summary>The standby's port; null without one.</summary>
    public int? StandbyPort => _embedded?.StandbyPort;

    /// <summary>
    /// Ends the embedded primary as a lost machine would: SIGKILL to its postmaster, so no shutdown code
    /// runs (its backends notice the postmaster is gone and exit). Returns the killed process id.
    /// </summary>
    public int KillPrimary()
    {
        Embedded();
        var postmaster = PostmasterPid() ?? throw new InvalidOperationException("The embedded server is not running.");
        Run("kill", "-KILL", postmaster.ToString(CultureInfo.InvariantCulture));
        return postmaster;
    }

    /// <summary>Promotes the standby (<c>pg_ctl promote</c>), returning once it accepts writes.</summary>
    public Task PromoteStandbyAsync() => Task.Run(() => Embedded().PromoteStandby());

    /// <summary>
    /// Creates database <paramref name="name"/> (as a copy of <paramref name="template"/>, if given) and
    /// returns a pooled connection string for it; with <paramref name="withSchema"/> ClaimStore's schema
    /// is applied, as a host would at its start.
    /// </summary>
    public async Task<string> CreateDatabaseAsync(string name, bool withSchema = false, string? template = null, CancellationToken cancellationToken = default)
    {
        ValidateName(name);
        if (template is not null)
        {
            ValidateName(template);
        }

        await ExecuteAsync(template is null ? $"CREATE DATABASE \"{name}\"" : $"CREATE DATABASE \"{name}\" TEMPLATE \"{template}\"", cancellationToken);
        lock (_gate)
        {
            _created.Add(name);
        }

        var connectionString = new NpgsqlConnectionStringBuilder(ServerConnectionString) { Database = name, Pooling = true }.ConnectionString;
        if (withSchema)
        {
            await ApplySchemaAsync(connectionString);
        }

        return connectionString;
    }

    /// <summary>Creates <paramref name="name"/> unless it exists; returns a pooled connection string for it.</summary>
    public async Task<string> EnsureDatabaseAsync(string name, CancellationToken cancellationToken = default)
    {
        ValidateName(name);
        await using (var connection = new NpgsqlConnection(ServerConnectionString))
        {
            await connection.OpenAsync(cancellationToken);
            await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = @n", connection);
            exists.Parameters.AddWithValue("n", name);
            if (await exists.ExecuteScalarAsync(cancellationToken) is null)
            {
                await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
                await create.ExecuteNonQueryAsync(cancellationToken);
            }
        }

        return new NpgsqlConnectionStringBuilder(ServerConnectionString) { Database = name, Pooling = true }.ConnectionString;
    }

    /// <summary>Drops a database, ending the sessions still connected to it.</summary>
    public async Task DropDatabaseAsync(string name, CancellationToken cancellationToken = default)
    {
        ValidateName(name);
        await ExecuteAsync($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", cancellationToken);
        lock (_gate)
        {
            _created.Remove(name);
        }
    }

    /// <summary>Creates or upgrades ClaimStore's schema in the database of <paramref name="connectionString"/>.</summary>
    public static async Task ApplySchemaAsync(string connectionString)
    {
        // Unpooled: a template database must have no session left when it is copied.
        var unpooled = Unpooled(connectionString);
        await using var services = new ServiceCollection().AddClaimStoreStorage(unpooled).BuildServiceProvider();
        await services.GetRequiredService<IDocumentStore>().Storage.ApplyAllConfiguredChangesToDatabaseAsync();
    }

    /// <summary>
    /// Stops the embedded server, keeping its files: <paramref name="immediate"/> ends every server
    /// process at once, without a checkpoint, as a crash would (the restart recovers from the WAL);
    /// otherwise every session is ended and the server shuts down cleanly.
    /// </summary>
    public Task HaltAsync(bool immediate = false) => Task.Run(() => Embedded().Halt(immediate));

    /// <summary>Starts a halted embedded server again, on the same port, so connection strings stay valid.</summary>
    public Task ResumeAsync() => Task.Run(() => Embedded().Resume());

    /// <summary>
    /// Freezes the embedded server (SIGSTOP to the postmaster and every backend): the kernel still
    /// accepts connections and nothing answers, as with a hung server or a network dropping packets.
    /// </summary>
    public void Freeze() => Signal("STOP");

    /// <summary>Lets a frozen server run on (SIGCONT).</summary>
    public void Thaw() => Signal("CONT");

    /// <summary>The embedded server's postmaster process id, while it runs; null for a given server.</summary>
    public int? PostmasterPid()
    {
        var pidFile = _embedded is null ? null : Path.Combine(_embedded.DataDirectory, "postmaster.pid");
        try
        {
            return pidFile is not null && File.Exists(pidFile)
                && int.TryParse(File.ReadLines(pidFile).FirstOrDefault(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                ? pid : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>
    /// The embedded server: stopped, its process gone, and its files deleted unless a data directory
    /// was given. A given server: the databases created here are dropped.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (_embedded is null)
        {
            List<string> created;
            lock (_gate)
            {
                created = [.. _created];
            }

            foreach (var name in created)
            {
                await DropDatabaseAsync(name);
            }

            return;
        }

        var postmaster = PostmasterPid();
        await _embedded.DisposeAsync();
        if (postmaster is { } pid)
        {
            // pg_ctl returns once the pid file is gone, a moment before the postmaster itself has exited.
            for (var i = 0; i < 100 && IsRunning(pid); i++)
            {
                await Task.Delay(50);
            }
        }

        if (_owner is not null)
        {
            await _owner.DisposeAsync();
        }

        if (_temporaryRoot is not null && Directory.Exists(_temporaryRoot))
        {
            Directory.Delete(_temporaryRoot, recursive: true);
        }
    }

    // In a directory of the temp folder that the next kit deletes if this process ends without disposing (TemporaryServers).
    private static async Task<ClaimStorePostgres> StartTemporaryAsync(bool standby, CancellationToken cancellationToken)
    {
        var temporary = await Task.Run(TemporaryServers.Create, cancellationToken);
        try
        {
            var embedded = await Task.Run(
                () => EmbeddedPostgres.Start(new EmbeddedPostgresOptions(Path.Combine(temporary.Root, "pg"), "postgres", DeleteOnStop: true, Standby: standby)),
                cancellationToken);
            return new ClaimStorePostgres(embedded, Unpooled(embedded.ConnectionString), temporary);
        }
        catch
        {
            await temporary.Owner.DisposeAsync();
            if (Directory.Exists(temporary.Root))
            {
                Directory.Delete(temporary.Root, recursive: true);
            }

            throw;
        }
    }

    /// <summary>In the process table and not a zombie (one that has exited and waits for its parent to collect it).</summary>
    internal static bool IsRunning(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].FirstOrDefault() is not 'Z' and not 'X';
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private EmbeddedPostgres Embedded() =>
        _embedded ?? throw new NotSupportedException("Only the embedded server can be stopped, frozen and started; this is a given server.");

    private void Signal(string signal)
    {
        Embedded();
        var postmaster = PostmasterPid() ?? throw new InvalidOperationException("The embedded server is not running.");
        var children = Run("pgrep", "-P", postmaster.ToString(CultureInfo.InvariantCulture))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var pids = signal == "STOP"
            // The postmaster first on STOP (no new backend is forked meanwhile), last on CONT.
            ? [postmaster.ToString(CultureInfo.InvariantCulture), .. children]
            : children.Append(postmaster.ToString(CultureInfo.InvariantCulture)).ToArray();
        Run("kill", ["-" + signal, .. pids]);
    }

    private static string Run(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { UseShellExecute = false, RedirectStandardOutput = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var text = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return text;
    }

    private async Task ExecuteAsync(string sql, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(ServerConnectionString);
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(ct);
    }

    private static void ValidateName(string name)
    {
        // Spliced into CREATE and DROP DATABASE, which take no parameters.
        if (name.Length is 0 or > 63 || !name.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_'))
        {
            throw new ArgumentException($"Database name '{name}' must be 1 to 63 characters of a-z, 0-9 and _.", nameof(name));
        }
    }

    private static string Unpooled(string connectionString) =>
        new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString;
}

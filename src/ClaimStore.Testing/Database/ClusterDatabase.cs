using System.Globalization;
using ClaimStore.Api.Hosting;
using ClaimStore.Grains.Storage;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace ClaimStore.Testing.Database;

/// <summary>
/// The cluster's PostgreSQL: the embedded server (or a given one) and the store's database on it.
/// A reset swaps in a fresh database cloned from a template that already holds ClaimStore's schema,
/// which takes a file copy instead of a schema migration.
/// </summary>
internal sealed class ClusterDatabase : IAsyncDisposable
{
    private const string KeptDatabase = "claimstore";

    private readonly EmbeddedPostgres? _embedded;
    private readonly string _serverConnectionString;
    private readonly string _prefix;
    private readonly string? _temporaryRoot;
    private readonly string? _template;
    private readonly List<string> _created = [];
    private int _generation;

    private ClusterDatabase(EmbeddedPostgres? embedded, string serverConnectionString, string prefix, string? temporaryRoot, string? template)
    {
        _embedded = embedded;
        _serverConnectionString = serverConnectionString;
        _prefix = prefix;
        _temporaryRoot = temporaryRoot;
        _template = template;
    }

    /// <summary>The current database of the store.</summary>
    public string ConnectionString { get; private set; } = "";

    public string DatabaseName { get; private set; } = "";

    public bool IsEmbedded => _embedded is not null;

    /// <summary>The embedded server's data directory, or null for a given server.</summary>
    public string? DataDirectory => _embedded?.DataDirectory;

    public static async Task<ClusterDatabase> StartAsync(ClaimStoreClusterOptions options, string clusterId, CancellationToken ct)
    {
        var prefix = "kit_" + clusterId;
        if (!string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            var given = new ClusterDatabase(null, Unpooled(options.ConnectionString), prefix, null, prefix + "_template");
            await given.PrepareTemplateAsync(ct);
            await given.NextDatabaseAsync(ct);
            return given;
        }

        var kept = options.DataDirectory is not null;
        var root = kept ? null : Path.Combine(Path.GetTempPath(), "claimstore-kit-" + clusterId);
        var directory = kept ? Path.GetFullPath(options.DataDirectory!) : Path.Combine(root!, "pg");
        var embedded = await Task.Run(
            () => EmbeddedPostgres.Start(new EmbeddedPostgresOptions(directory, "postgres", DeleteOnStop: !kept)), ct);
        var database = new ClusterDatabase(embedded, Unpooled(embedded.ConnectionString), prefix, root, kept ? null : prefix + "_template");
        try
        {
            if (kept)
            {
                // A kept directory keeps its store: the same database, schema upgraded by the hosts as they start.
                database.ConnectionString = embedded.CreateDatabase(KeptDatabase);
                database.DatabaseName = KeptDatabase;
                await ApplySchemaAsync(Unpooled(database.ConnectionString));
            }
            else
            {
                await database.PrepareTemplateAsync(ct);
                await database.NextDatabaseAsync(ct);
            }
        }
        catch
        {
            await database.DisposeAsync();
            throw;
        }

        return database;
    }

    /// <summary>Creates a fresh, empty database from the template and makes it current; returns the one it replaces.</summary>
    public async Task<string?> NextDatabaseAsync(CancellationToken ct)
    {
        if (_template is null)
        {
            throw new InvalidOperationException(
                "A cluster on a kept data directory keeps its store: reset it by deleting the directory, or start without DataDirectory.");
        }

        var previous = DatabaseName.Length == 0 ? null : DatabaseName;
        var name = $"{_prefix}_{++_generation}";
        await ExecuteAsync($"CREATE DATABASE \"{name}\" TEMPLATE \"{_template}\"", ct);
        _created.Add(name);
        DatabaseName = name;
        ConnectionString = new NpgsqlConnectionStringBuilder(_serverConnectionString) { Database = name, Pooling = true }.ConnectionString;
        return previous;
    }

    /// <summary>Drops a database no host uses any more; sessions left over from killed hosts are ended.</summary>
    public async Task DropAsync(string name, CancellationToken ct)
    {
        await ExecuteAsync($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", ct);
        _created.Remove(name);
    }

    public Task StopAsync() => Task.Run(() => Embedded().Halt());

    public Task StartAsync() => Task.Run(() => Embedded().Resume());

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (_embedded is not null)
        {
            var postmaster = PostmasterPid();
            // Stopping the server (and deleting a temporary directory) takes every database with it.
            await _embedded.DisposeAsync();
            if (postmaster is { } pid)
            {
                await WaitGoneAsync(pid);
            }
            if (_temporaryRoot is not null && Directory.Exists(_temporaryRoot))
            {
                Directory.Delete(_temporaryRoot, recursive: true);
            }

            return;
        }

        foreach (var name in _created.ToList())
        {
            await DropAsync(name, CancellationToken.None);
        }
    }

    /// <summary>The postmaster's process id, from the first line of postmaster.pid.</summary>
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

    // pg_ctl returns once the pid file is gone, a moment before the postmaster itself has exited.
    private static async Task WaitGoneAsync(int pid)
    {
        for (var i = 0; i < 100 && IsAlive(pid); i++)
        {
            await Task.Delay(50);
        }
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            // Field 3 of /proc/PID/stat is the state; Z is a zombie waiting for init to reap it: not running any more.
            var stat = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].FirstOrDefault() is not 'Z' and not 'X';
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private EmbeddedPostgres Embedded() =>
        _embedded ?? throw new NotSupportedException("Only the embedded server can be stopped and started; this cluster uses a given one.");

    private async Task PrepareTemplateAsync(CancellationToken ct)
    {
        await ExecuteAsync($"CREATE DATABASE \"{_template}\"", ct);
        _created.Add(_template!);
        var templateConnection = new NpgsqlConnectionStringBuilder(_serverConnectionString) { Database = _template }.ConnectionString;
        await ApplySchemaAsync(templateConnection);
        // CREATE DATABASE … TEMPLATE refuses while anyone is connected to the template.
        NpgsqlConnection.ClearAllPools();
    }

    private static async Task ApplySchemaAsync(string connectionString)
    {
        await using var services = new ServiceCollection().AddClaimStoreStorage(connectionString).BuildServiceProvider();
        await services.GetRequiredService<IDocumentStore>().Storage.ApplyAllConfiguredChangesToDatabaseAsync();
    }

    private async Task ExecuteAsync(string sql, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(_serverConnectionString);
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(ct);
    }

    private static string Unpooled(string connectionString) =>
        new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString;
}

namespace ClaimStore.Testing.Database;

/// <summary>
/// The cluster's store on its PostgreSQL server. A reset swaps in a fresh database cloned from a
/// template that already holds ClaimStore's schema: a file copy instead of a schema migration.
/// </summary>
internal sealed class ClusterDatabase : IAsyncDisposable
{
    private const string KeptDatabase = "claimstore";

    private readonly ClaimStorePostgres _server;
    private readonly string _prefix;
    private readonly string? _template;
    private int _generation;

    private ClusterDatabase(ClaimStorePostgres server, string prefix, string? template)
    {
        _server = server;
        _prefix = prefix;
        _template = template;
    }

    public ClaimStorePostgres Server => _server;

    /// <summary>The current database of the store.</summary>
    public string ConnectionString { get; private set; } = "";

    public string DatabaseName { get; private set; } = "";

    public static async Task<ClusterDatabase> StartAsync(ClaimStoreClusterOptions options, string clusterId, CancellationToken ct)
    {
        var prefix = "kit_" + clusterId;
        var given = !string.IsNullOrWhiteSpace(options.ConnectionString);
        var kept = !given && options.DataDirectory is not null;
        var server = await ClaimStorePostgres.StartAsync(options.ConnectionString, given ? null : options.DataDirectory, ct);
        var database = new ClusterDatabase(server, prefix, kept ? null : prefix + "_template");
        try
        {
            if (kept)
            {
                // A kept directory keeps its store: the same database, schema upgraded as the hosts start.
                database.ConnectionString = await server.EnsureDatabaseAsync(KeptDatabase, ct);
                database.DatabaseName = KeptDatabase;
                await ClaimStorePostgres.ApplySchemaAsync(database.ConnectionString);
            }
            else
            {
                await server.CreateDatabaseAsync(database._template!, withSchema: true, cancellationToken: ct);
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
        ConnectionString = await _server.CreateDatabaseAsync(name, template: _template, cancellationToken: ct);
        DatabaseName = name;
        return previous;
    }

    public Task DropAsync(string name, CancellationToken ct) => _server.DropDatabaseAsync(name, ct);

    public ValueTask DisposeAsync() => _server.DisposeAsync();
}

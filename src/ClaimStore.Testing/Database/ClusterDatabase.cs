namespace ClaimStore.Testing.Database;

/// <summary>The cluster's store on its PostgreSQL server: a database of its own, or the kept one of a data directory.</summary>
internal sealed class ClusterDatabase : IAsyncDisposable
{
    private const string KeptDatabase = "claimstore";

    private readonly ClaimStorePostgres _server;

    private ClusterDatabase(ClaimStorePostgres server) => _server = server;

    public ClaimStorePostgres Server => _server;

    public string ConnectionString { get; private set; } = "";

    public string DatabaseName { get; private set; } = "";

    /// <summary>Created for this cluster, so empty: not the kept store of a data directory.</summary>
    public bool IsNew { get; private set; }

    public static async Task<ClusterDatabase> StartAsync(ClaimStoreClusterOptions options, string clusterId, CancellationToken ct)
    {
        var given = !string.IsNullOrWhiteSpace(options.ConnectionString);
        var kept = !given && options.DataDirectory is not null;
        var server = await ClaimStorePostgres.StartAsync(options.ConnectionString, given ? null : options.DataDirectory, ct);
        var database = new ClusterDatabase(server);
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
                database.DatabaseName = "kit_" + clusterId;
                database.ConnectionString = await server.CreateDatabaseAsync(database.DatabaseName, withSchema: true, cancellationToken: ct);
                database.IsNew = true;
            }
        }
        catch
        {
            await database.DisposeAsync();
            throw;
        }

        return database;
    }

    public ValueTask DisposeAsync() => _server.DisposeAsync();
}

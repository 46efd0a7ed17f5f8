using ClaimStore.Api.Hosting;
using ClaimStore.Grains.Storage;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace ClaimStore.IntegrationTests.Infrastructure;

/// <summary>
/// One PostgreSQL server per test run: the embedded one in a temporary directory, or the server
/// named by <see cref="EnvironmentVariable"/> (a connection string with the right to create
/// databases). Each fixture gets a database of its own.
/// </summary>
public static class TestPostgres
{
    public const string EnvironmentVariable = "CLAIMSTORE_TEST_POSTGRES";

    private static readonly Lazy<Func<string, string>> DatabaseFactory = new(Start, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>A new, empty database with ClaimStore's schema applied; returns its connection string.</summary>
    public static async Task<string> CreateDatabaseAsync(string purpose)
    {
        var name = $"{purpose}_{Guid.NewGuid():N}"[..Math.Min(purpose.Length + 13, 63)].ToLowerInvariant();
        var connectionString = DatabaseFactory.Value(name);
        await ApplySchemaAsync(connectionString);
        return connectionString;
    }

    /// <summary>
    /// Creates the schema once, before silos start: several silos of one test cluster would
    /// otherwise all migrate the same empty database at the same moment.
    /// </summary>
    private static async Task ApplySchemaAsync(string connectionString)
    {
        await using var services = new ServiceCollection().AddClaimStoreStorage(connectionString).BuildServiceProvider();
        await services.GetRequiredService<IDocumentStore>().Storage.ApplyAllConfiguredChangesToDatabaseAsync();
    }

    private static Func<string, string> Start()
    {
        var external = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(external))
        {
            return name => CreateOn(external, name);
        }

        var directory = Path.Combine(Path.GetTempPath(), $"claimstore-tests-{Environment.ProcessId}-{Guid.NewGuid():N}"[..48], "pg");
        // Deleted when the test process exits (EmbeddedPostgres stops itself on ProcessExit).
        var server = EmbeddedPostgres.Start(new EmbeddedPostgresOptions(directory, "postgres", DeleteOnStop: true));
        return server.CreateDatabase;
    }

    private static string CreateOn(string serverConnectionString, string name)
    {
        using var connection = new NpgsqlConnection(serverConnectionString);
        connection.Open();
        using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
        command.ExecuteNonQuery();
        return new NpgsqlConnectionStringBuilder(serverConnectionString) { Database = name }.ConnectionString;
    }
}

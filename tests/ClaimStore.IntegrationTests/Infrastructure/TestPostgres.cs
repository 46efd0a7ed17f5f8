using ClaimStore.Testing;

namespace ClaimStore.IntegrationTests.Infrastructure;

/// <summary>
/// One PostgreSQL server per test run, started through the test kit: the embedded one in a temporary
/// directory, or the server named by <see cref="EnvironmentVariable"/> (a connection string with the
/// right to create databases). Each fixture gets a database of its own.
/// </summary>
public static class TestPostgres
{
    public const string EnvironmentVariable = "CLAIMSTORE_TEST_POSTGRES";

    // Stopped, and its directory deleted, when the test process exits (EmbeddedPostgres stops itself on ProcessExit).
    private static readonly Lazy<Task<ClaimStorePostgres>> Server = new(
        () => ClaimStorePostgres.StartAsync(Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } external ? external : null),
        LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>
    /// A new, empty database with ClaimStore's schema applied, once, before silos start (several silos
    /// of one test cluster would otherwise all migrate it at the same moment); returns its connection string.
    /// </summary>
    public static async Task<string> CreateDatabaseAsync(string purpose)
    {
        var name = $"{purpose}_{Guid.NewGuid():N}"[..Math.Min(purpose.Length + 13, 63)].ToLowerInvariant();
        return await (await Server.Value).CreateDatabaseAsync(name, withSchema: true);
    }
}

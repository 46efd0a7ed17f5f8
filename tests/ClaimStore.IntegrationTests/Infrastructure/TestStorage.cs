using ClaimStore.Storage;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace ClaimStore.IntegrationTests.Infrastructure;

/// <summary>ClaimStore's storage without a host, on a database of its own: for tests of one storage class at a time.</summary>
public static class TestStorage
{
    public static async Task<ServiceProvider> CreateAsync(string purpose) =>
        new ServiceCollection().AddClaimStoreStorage(await TestPostgres.CreateDatabaseAsync(purpose)).BuildServiceProvider();

    public static NpgsqlDataSource Database(this IServiceProvider services) => services.GetRequiredService<NpgsqlDataSource>();

    public static ClaimSearchIndex SearchIndex(this IServiceProvider services) =>
        new(services.Database(), services.GetRequiredService<IDocumentStore>());

    /// <summary>Runs <paramref name="sql"/> (one or more statements) for what it does, not what it returns.</summary>
    public static async Task ExecuteAsync(this NpgsqlDataSource database, string sql)
    {
        await using var command = database.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }
}

using ClaimStore.IntegrationTests.Infrastructure;
using ClaimStore.Storage;

namespace ClaimStore.IntegrationTests.ReadModel;

/// <summary>A host that starts finds the followers' tables in place and goes on, whatever round or rebuild holds their locks.</summary>
public sealed class FollowerTablesStartupTests
{
    [Fact]
    public async Task EnsureCreated_TablesInPlaceWhileTheFollowersLocksAreHeld_ReturnsWithoutWaiting()
    {
        await using var services = await TestStorage.CreateAsync("followerstart");
        var database = services.Database();
        var readSide = new ReadSideTables(database);
        var search = services.SearchIndex();
        await readSide.EnsureCreatedAsync(CancellationToken.None);
        await search.EnsureCreatedAsync(CancellationToken.None);

        // What a projections rebuild holds for as long as it runs.
        await using var connection = await database.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await ReadSideTables.HoldProjectorsAsync(connection, transaction, CancellationToken.None);
        await ClaimSearchIndex.HoldIndexersAsync(connection, transaction, CancellationToken.None);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));

        await readSide.EnsureCreatedAsync(timeout.Token);
        await search.EnsureCreatedAsync(timeout.Token);

        Assert.False(timeout.IsCancellationRequested);
    }
}

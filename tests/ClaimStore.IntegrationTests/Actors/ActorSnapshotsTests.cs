using ClaimStore.Domain.Actors;
using ClaimStore.IntegrationTests.Infrastructure;
using ClaimStore.Storage;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Orleans.TestingHost;

namespace ClaimStore.IntegrationTests.Actors;

[Collection(ClusterCollection.Name)]
public sealed class ActorSnapshotsTests(ClusterFixture fixture)
{
    [Fact]
    public async Task Save_ManyActorsDueAtOnce_AtMostTheCapWriteAtATime()
    {
        var snapshots = ((InProcessSiloHandle)fixture.Cluster.Primary!).SiloHost.Services.GetRequiredService<ActorSnapshots>();
        var actors = Enumerable.Range(0, 3 * ActorSnapshots.ConcurrentSaves).Select(_ => $"snap-{Guid.NewGuid():N}").ToArray();

        // Holding each actor's snapshot lock stops every save that has got a connection at that lock.
        await using var holder = new NpgsqlConnection(fixture.ConnectionString);
        await holder.OpenAsync();
        await using var hold = await holder.BeginTransactionAsync();
        foreach (var actor in actors)
        {
            await using var command = new NpgsqlCommand("select pg_advisory_xact_lock($1, hashtext($2))", holder, hold);
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = ActorSnapshots.LockSpace });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = actor });
            await command.ExecuteNonQueryAsync();
        }

        // Outside the holder's transaction, which would see one snapshot of pg_stat_activity throughout.
        await using var observer = new NpgsqlConnection(fixture.ConnectionString);
        await observer.OpenAsync();
        var saves = actors.Select(actor => Task.Run(() => snapshots.SaveAsync(ActorState.Empty(actor), null, CancellationToken.None))).ToArray();
        var blocked = new List<long>();
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (DateTime.UtcNow < until && (blocked.Count == 0 || blocked[^1] < ActorSnapshots.ConcurrentSaves))
        {
            blocked.Add(await BlockedSavesAsync(observer));
            await Task.Delay(50);
        }

        // Time for any save beyond the cap to reach the lock, were it let through.
        await Task.Delay(500);
        blocked.Add(await BlockedSavesAsync(observer));
        await hold.RollbackAsync();
        var stored = await Task.WhenAll(saves);

        Assert.Equal(ActorSnapshots.ConcurrentSaves, blocked[^1]);
        Assert.All(blocked, count => Assert.InRange(count, 0, ActorSnapshots.ConcurrentSaves));
        Assert.All(stored, Assert.True);
    }

    private static async Task<long> BlockedSavesAsync(NpgsqlConnection connection)
    {
        await using var command = new NpgsqlCommand(
            "select count(*) from pg_stat_activity where datname = current_database() and wait_event = 'advisory' and query like '%hashtext%'",
            connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}

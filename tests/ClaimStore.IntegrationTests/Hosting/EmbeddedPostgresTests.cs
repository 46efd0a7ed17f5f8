using ClaimStore.Api.Hosting;
using ClaimStore.LocalPostgres;
using Npgsql;

namespace ClaimStore.IntegrationTests.Hosting;

public sealed class EmbeddedPostgresTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "claimstore-pg-" + Guid.NewGuid().ToString("N")[..12]);

    private EmbeddedPostgresOptions Options(bool deleteOnStop = true) =>
        new(Path.Combine(_root, "pg"), "claimstore", deleteOnStop);

    public void Dispose()
    {
        // Covers the runs that keep their data (DeleteOnStop = false) and any test that failed midway.
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    [Fact]
    public async Task Start_FreshDirectory_AcceptsConnections()
    {
        await using var server = EmbeddedPostgres.Start(Options());

        await using var connection = new NpgsqlConnection(server.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("select version()", connection);
        var version = (string?)await command.ExecuteScalarAsync();

        Assert.StartsWith("PostgreSQL", version, StringComparison.Ordinal);
        Assert.False(server.ReusedRunningServer);
    }

    [Fact]
    public async Task Start_MachineWithMemory_GivesSharedBuffersAnEighthOfItUpTo1GB()
    {
        await using var server = EmbeddedPostgres.Start(Options());

        await using var connection = new NpgsqlConnection(server.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("select setting::bigint * 8192 / (1024 * 1024) from pg_settings where name = 'shared_buffers'", connection);
        var megabytes = (long)(await command.ExecuteScalarAsync())!;

        var available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024 * 1024);
        Assert.Equal(Math.Clamp(available / 8, 128, 1024), megabytes);
    }

    [Fact]
    public async Task CreateDatabase_NewName_ReturnsWorkingConnectionString()
    {
        await using var server = EmbeddedPostgres.Start(Options());

        var connectionString = server.CreateDatabase("per_class_db");
        var again = server.CreateDatabase("per_class_db");

        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("select current_database()", connection);
        Assert.Equal("per_class_db", await command.ExecuteScalarAsync());
        Assert.Equal(connectionString, again);
    }

    [Fact]
    public async Task Start_AfterStop_ReusesData()
    {
        using (var first = EmbeddedPostgres.Start(Options(deleteOnStop: false)))
        {
            await using var connection = new NpgsqlConnection(first.ConnectionString);
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand("create table marker (id int primary key); insert into marker values (42)", connection);
            await create.ExecuteNonQueryAsync();
        }

        using var second = EmbeddedPostgres.Start(Options(deleteOnStop: false));
        await using var reconnection = new NpgsqlConnection(second.ConnectionString);
        await reconnection.OpenAsync();
        await using var read = new NpgsqlCommand("select id from marker", reconnection);

        Assert.Equal(42, await read.ExecuteScalarAsync());
        Assert.False(second.ReusedRunningServer);
    }

    [Fact]
    public async Task Start_WhileRunningOnSameDirectory_AdoptsRunningServer()
    {
        using var first = EmbeddedPostgres.Start(Options());
        using var second = EmbeddedPostgres.Start(Options());

        await using var connection = new NpgsqlConnection(second.ConnectionString);
        await connection.OpenAsync();

        Assert.True(second.ReusedRunningServer);
        Assert.Equal(first.Port, second.Port);
    }
}

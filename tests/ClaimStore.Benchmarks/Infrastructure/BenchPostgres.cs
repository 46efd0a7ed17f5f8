using ClaimStore.Api.Hosting;
using Npgsql;

namespace ClaimStore.Benchmarks.Infrastructure;

/// <summary>
/// One PostgreSQL server per benchmark run: a throwaway embedded one (this machine's server binaries,
/// durable defaults: fsync and synchronous_commit on) in a temporary directory, deleted afterwards;
/// or the server named by <c>CLAIMSTORE_BENCH_POSTGRES</c> (a connection string with the right to
/// create databases). Each scenario gets a database of its own.
/// </summary>
public sealed class BenchPostgres : IDisposable
{
    public const string EnvironmentVariable = "CLAIMSTORE_BENCH_POSTGRES";

    private readonly EmbeddedPostgres? _embedded;
    private readonly string? _external;
    private readonly string? _directory;

    private BenchPostgres(EmbeddedPostgres? embedded, string? external, string? directory = null)
    {
        _embedded = embedded;
        _external = external;
        _directory = directory;
    }

    public static BenchPostgres Start()
    {
        var external = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(external))
        {
            return new BenchPostgres(null, external);
        }

        var directory = Path.Combine(Path.GetTempPath(), $"claimstore-bench-{Environment.ProcessId}-{Guid.NewGuid():N}"[..48]);
        var server = EmbeddedPostgres.Start(new EmbeddedPostgresOptions(Path.Combine(directory, "pg"), "postgres", DeleteOnStop: true));
        return new BenchPostgres(server, null, directory);
    }

    /// <summary>The embedded server's postmaster, for CPU accounting; null for an external server.</summary>
    public int? PostmasterPid
    {
        get
        {
            var pidFile = _embedded is null ? null : Path.Combine(_embedded.DataDirectory, "postmaster.pid");
            return pidFile is not null && File.Exists(pidFile) && int.TryParse(File.ReadLines(pidFile).First(), out var pid) ? pid : null;
        }
    }

    /// <summary>A new, empty database; returns its connection string.</summary>
    public string CreateDatabase(string purpose)
    {
        var name = $"bench_{purpose}_{Guid.NewGuid():N}"[..Math.Min(purpose.Length + 14, 63)];
        if (_embedded is not null)
        {
            return _embedded.CreateDatabase(name);
        }

        using (var connection = new NpgsqlConnection(_external))
        {
            connection.Open();
            using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            command.ExecuteNonQuery();
        }

        return new NpgsqlConnectionStringBuilder(_external) { Database = name }.ConnectionString;
    }

    /// <summary>Server version and the settings that decide what a commit costs.</summary>
    public static async Task<string> DescribeAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "select current_setting('server_version') || ', fsync=' || current_setting('fsync') || ', synchronous_commit=' || current_setting('synchronous_commit') "
            + "|| ', wal_sync_method=' || current_setting('wal_sync_method') || ', shared_buffers=' || current_setting('shared_buffers')", connection);
        return (string)(await command.ExecuteScalarAsync())!;
    }

    public void Dispose()
    {
        _embedded?.Stop();
        if (_directory is not null && Directory.Exists(_directory) && !Directory.EnumerateFileSystemEntries(_directory).Any())
        {
            Directory.Delete(_directory);
        }
    }
}

using ClaimStore.Benchmarks.Infrastructure;
using ClaimStore.Testing;
using Npgsql;

namespace ClaimStore.Benchmarks.Scenarios;

/// <summary>What a scenario gets: the options, the PostgreSQL server of the run and its report.</summary>
public sealed class BenchContext(BenchOptions options, ClaimStorePostgres postgres, Report report)
{
    public BenchOptions Options { get; } = options;

    /// <summary>
    /// The run's PostgreSQL server (the test kit's): a throwaway embedded one (durable defaults: fsync and
    /// synchronous_commit on) in a temporary directory, deleted afterwards; or the server named by
    /// <see cref="PostgresVariable"/> (a connection string with the right to create databases).
    /// </summary>
    public ClaimStorePostgres Postgres { get; } = postgres;

    public const string PostgresVariable = "CLAIMSTORE_BENCH_POSTGRES";

    /// <summary>A new, empty database for <paramref name="purpose"/>; the host creates the schema. Returns its connection string.</summary>
    public Task<string> CreateDatabaseAsync(string purpose) =>
        Postgres.CreateDatabaseAsync($"bench_{purpose}_{Guid.NewGuid():N}"[..Math.Min(purpose.Length + 14, 63)]);

    /// <summary>Server version and the settings that decide what a commit costs.</summary>
    public static async Task<string> DescribePostgresAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "select current_setting('server_version') || ', fsync=' || current_setting('fsync') || ', synchronous_commit=' || current_setting('synchronous_commit') "
            + "|| ', wal_sync_method=' || current_setting('wal_sync_method') || ', shared_buffers=' || current_setting('shared_buffers')", connection);
        return (string)(await command.ExecuteScalarAsync())!;
    }

    public Report Report { get; } = report;

    public string LogPath(string name) =>
        Path.Combine(Options.ResultsDirectory, "logs", $"{Report.Scenario}-{name}-{DateTime.UtcNow:yyyyMMddTHHmmss}.log");

    public CpuMeter Meter(HostProcess host) => new(host.Pid, Postgres.PostmasterPid());

    /// <summary>Median CPU per operation of <paramref name="variant"/>'s rounds: host, this process, PostgreSQL, and how busy the machine was.</summary>
    public void CpuFigures(string variant, IReadOnlyCollection<LoadResult> rounds)
    {
        var measured = rounds.Where(r => r.Cpu is not null && r.Operations > 0).ToList();
        if (measured.Count == 0)
        {
            return;
        }

        Report.Figure($"{variant}.cpu.host_us_per_op", Stats.Median(measured.Select(r => r.Cpu!.HostSeconds * 1e6 / r.Operations)), 0);
        Report.Figure($"{variant}.cpu.bench_us_per_op", Stats.Median(measured.Select(r => r.Cpu!.BenchSeconds * 1e6 / r.Operations)), 0);
        Report.Figure($"{variant}.cpu.postgres_us_per_op", Stats.Median(measured.Select(r => r.Cpu!.PostgresSeconds * 1e6 / r.Operations)), 0);
        Report.Figure($"{variant}.cpu.machine_busy_pct", Stats.Median(measured.Select(r => r.Cpu!.MachineBusyFraction * 100)), 0);
        Report.Figure($"{variant}.cpu.others_pct", Stats.Median(measured.Select(r => r.Cpu!.OtherFraction * 100)), 0);
    }

    /// <summary>
    /// Runs closed-loop rounds of <paramref name="variants"/> (only the one named by <c>--only</c>, if
    /// given): first each variant once unmeasured for <see cref="JitWarmup"/>, so that the JIT's
    /// tiered compilation has settled in the host and here, then <see cref="BenchOptions.Rounds"/>
    /// rounds in rotating order, each with its own short warm-up. Worker <c>w</c> of every round runs
    /// <c>OperationOf(w)</c> (see <see cref="Load.ClosedLoopPerWorkerAsync"/>). Returns each variant's rounds.
    /// </summary>
    public async Task<Dictionary<string, List<LoadResult>>> RunRoundsAsync(
        IReadOnlyList<(string Name, Func<int, Func<Random, Task<bool>>> OperationOf)> variants, int clients, TimeSpan warmup, TimeSpan measure,
        HostProcess host, string unit)
    {
        var selected = variants.Where(v => Options.Only is null || v.Name == Options.Only).ToArray();
        if (selected.Length == 0)
        {
            throw new ArgumentException($"--only {Options.Only}: the variants here are {string.Join(", ", variants.Select(v => v.Name))}.");
        }

        foreach (var (name, operation) in selected)
        {
            var result = await Load.ClosedLoopPerWorkerAsync(clients, TimeSpan.Zero, Options.Pick(TimeSpan.Zero, JitWarmup), operation, seed: 1000);
            Report.CountErrors(result.Errors, $"{Report.Scenario} {name} (JIT warm-up): {result.FirstError}");
        }

        var results = selected.ToDictionary(v => v.Name, _ => new List<LoadResult>());
        for (var round = 0; round < Options.Rounds; round++)
        {
            foreach (var (name, operation) in Rotate(selected, round))
            {
                var result = await Load.ClosedLoopPerWorkerAsync(clients, warmup, measure, operation, seed: round + 1, meter: Meter(host));
                results[name].Add(result);
                Report.CountErrors(result.Errors, $"{Report.Scenario} {name}: {result.FirstError}");
                Report.Note($"round {round + 1} {name,-10}: {result.Describe(unit)}");
            }
        }

        return results;
    }

    /// <summary>
    /// Unmeasured load on each variant before the rounds. A fresh host JIT-compiles about 1,000 methods
    /// a second under load for its first 20 s or so (dotnet-counters), which costs a first round half its throughput.
    /// </summary>
    public static TimeSpan JitWarmup { get; } = TimeSpan.FromSeconds(15);

    /// <summary>The order of the variants in round <paramref name="round"/>: rotated each round, so noise hits them all alike.</summary>
    public static IReadOnlyList<T> Rotate<T>(IReadOnlyList<T> variants, int round) =>
        [.. variants.Skip(round % variants.Count), .. variants.Take(round % variants.Count)];
}

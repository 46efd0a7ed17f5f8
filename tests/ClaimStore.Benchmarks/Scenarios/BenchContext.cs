using ClaimStore.Benchmarks.Infrastructure;

namespace ClaimStore.Benchmarks.Scenarios;

/// <summary>What a scenario gets: the options, the PostgreSQL server of the run and its report.</summary>
public sealed class BenchContext(BenchOptions options, BenchPostgres postgres, Report report)
{
    public BenchOptions Options { get; } = options;

    public BenchPostgres Postgres { get; } = postgres;

    public Report Report { get; } = report;

    public string LogPath(string name) =>
        Path.Combine(Options.ResultsDirectory, "logs", $"{Report.Scenario}-{name}-{DateTime.UtcNow:yyyyMMddTHHmmss}.log");

    public CpuMeter Meter(HostProcess host) => new(host.Pid, Postgres.PostmasterPid);

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

    /// <summary>The order of the variants in round <paramref name="round"/>: rotated each round, so noise hits them all alike.</summary>
    public static IReadOnlyList<T> Rotate<T>(IReadOnlyList<T> variants, int round) =>
        [.. variants.Skip(round % variants.Count), .. variants.Take(round % variants.Count)];
}

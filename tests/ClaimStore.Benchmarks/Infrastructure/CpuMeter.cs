using System.Globalization;

namespace ClaimStore.Benchmarks.Infrastructure;

/// <summary>CPU time spent over a measured window, by whom: the host process, this process (clients and in-process baselines) and PostgreSQL.</summary>
public sealed record CpuUsage(double Seconds, double HostSeconds, double BenchSeconds, double PostgresSeconds, double MachineBusyFraction)
{
    /// <summary>The share of the machine's CPU taken by processes other than the three measured ones (other people's work on a shared machine).</summary>
    public double OtherFraction =>
        Math.Max(0, MachineBusyFraction - (HostSeconds + BenchSeconds + PostgresSeconds) / (Seconds * Environment.ProcessorCount));

    public string Describe(long operations) => operations == 0 ? "" :
        $"CPU per op: host {HostSeconds * 1e6 / operations:F0} µs, bench {BenchSeconds * 1e6 / operations:F0} µs, "
        + $"postgres {PostgresSeconds * 1e6 / operations:F0} µs; machine {MachineBusyFraction:P0} busy, {OtherFraction:P0} by other processes";
}

/// <summary>
/// Reads CPU times from /proc (Linux): of the host process, of this process, of the PostgreSQL
/// server (its postmaster with every child, living or reaped) and of the whole machine, which on a
/// shared, noisy machine also shows how much others took.
/// </summary>
public sealed class CpuMeter(int? hostPid, int? postmasterPid)
{
    // USER_HZ: the unit of /proc CPU times on Linux.
    private const double TicksPerSecond = 100;

    public Snapshot Take() => new(
        DateTime.UtcNow,
        hostPid is { } host ? ProcessTicks(host, withChildren: false) : 0,
        ProcessTicks(Environment.ProcessId, withChildren: false),
        postmasterPid is { } pm ? PostgresTicks(pm) : 0,
        MachineTicks());

    public static CpuUsage Between(Snapshot a, Snapshot b)
    {
        var total = b.Machine.Total - a.Machine.Total;
        return new CpuUsage(
            (b.At - a.At).TotalSeconds,
            (b.Host - a.Host) / TicksPerSecond,
            (b.Bench - a.Bench) / TicksPerSecond,
            (b.Postgres - a.Postgres) / TicksPerSecond,
            total <= 0 ? double.NaN : (double)(b.Machine.Busy - a.Machine.Busy) / total);
    }

    /// <summary>CPU time process <paramref name="pid"/> has used so far, in seconds; 0 once it is gone.</summary>
    public static double ProcessSeconds(int pid) => ProcessTicks(pid, withChildren: false) / TicksPerSecond;

    public sealed record Snapshot(DateTime At, long Host, long Bench, long Postgres, (long Busy, long Total) Machine);

    private static long ProcessTicks(int pid, bool withChildren)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // Fields after "(comm)": state is field 3; utime 14, stime 15, cutime 16, cstime 17.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            long Field(int n) => long.Parse(fields[n - 3], CultureInfo.InvariantCulture);
            return Field(14) + Field(15) + (withChildren ? Field(16) + Field(17) : 0);
        }
        catch (IOException)
        {
            return 0;
        }
    }

    private static long PostgresTicks(int postmaster)
    {
        var ticks = ProcessTicks(postmaster, withChildren: true);
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && ParentOf(pid) == postmaster)
            {
                ticks += ProcessTicks(pid, withChildren: false);
            }
        }

        return ticks;
    }

    private static int ParentOf(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return -1;
        }
    }

    private static (long Busy, long Total) MachineTicks()
    {
        var cpu = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1)
            .Select(v => long.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        var total = cpu.Take(8).Sum();
        var idle = cpu[3] + cpu[4];
        return (total - idle, total);
    }
}

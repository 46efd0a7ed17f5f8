using System.Diagnostics;
using System.Globalization;

namespace ClaimStore.IntegrationTests.Reliability;

/// <summary>
/// A network partition between one host process and the other silos of its cluster, all on loopback:
/// iptables rules that DROP (silence, no reset, as across a broken network) every packet to or from
/// the host's silo port, and every packet the host itself sends to the other silos' ports. The host's
/// own packets are told apart by a cgroup (v2) the host is put in as it starts, before it opens a socket.
/// PostgreSQL and HTTP stay reachable for everyone. Only rules and the cgroup tagged with this
/// instance's name are touched; Dispose removes them, also after a failed test.
/// </summary>
public sealed class LoopbackPartition : IDisposable
{
    private readonly string _name = "claimstore-partition-" + Guid.NewGuid().ToString("N")[..12];
    private readonly string _cgroupRoot;
    private readonly List<string[]> _rules = [];
    private bool _disposed;

    private LoopbackPartition(string cgroupRoot)
    {
        _cgroupRoot = cgroupRoot;
        Directory.CreateDirectory(CgroupPath);
    }

    private string CgroupPath => Path.Combine(_cgroupRoot, _name);

    /// <summary>Prepares a partition: checks for iptables and cgroup v2 and creates the (empty) cgroup.</summary>
    public static LoopbackPartition Prepare()
    {
        if (!File.Exists("/usr/sbin/iptables") && !File.Exists("/sbin/iptables"))
        {
            throw new InvalidOperationException("iptables is not installed: apt-get install -y iptables (.ci/run does).");
        }

        // Where cgroup v2 is mounted: /sys/fs/cgroup on most systems, /sys/fs/cgroup/unified beside v1 controllers.
        var root = File.ReadLines("/proc/self/mounts").Select(line => line.Split(' ')).FirstOrDefault(f => f.Length > 2 && f[2] == "cgroup2")?[1]
            ?? throw new InvalidOperationException("No cgroup v2 hierarchy is mounted; the partition needs one to tell a host's packets apart.");
        return new LoopbackPartition(root);
    }

    /// <summary>Puts process <paramref name="pid"/> (all its threads) on the partitioned side; call it right after the process starts.</summary>
    public void Enclose(int pid) => File.WriteAllText(Path.Combine(CgroupPath, "cgroup.procs"), pid.ToString(CultureInfo.InvariantCulture));

    /// <summary>Cuts the enclosed host (silo port <paramref name="siloPort"/>) off from the silos on <paramref name="otherSiloPorts"/>.</summary>
    public void Cut(int siloPort, IEnumerable<int> otherSiloPorts)
    {
        var port = siloPort.ToString(CultureInfo.InvariantCulture);
        var others = string.Join(',', otherSiloPorts.Select(p => p.ToString(CultureInfo.InvariantCulture)));
        string[] tag = ["-m", "comment", "--comment", _name, "-j", "DROP"];
        _rules.Add(["INPUT", "-i", "lo", "-p", "tcp", "--dport", port, .. tag]);
        _rules.Add(["INPUT", "-i", "lo", "-p", "tcp", "--sport", port, .. tag]);
        _rules.Add(["OUTPUT", "-o", "lo", "-p", "tcp", "-m", "cgroup", "--path", _name, "-m", "multiport", "--dports", others, .. tag]);
        foreach (var rule in _rules)
        {
            Iptables(["-I", .. rule]);
        }
    }

    /// <summary>Removes the rules; the cgroup stays until Dispose. Idempotent.</summary>
    public void Heal()
    {
        foreach (var rule in _rules)
        {
            // -C succeeds while the rule is there; a rule that was never added is skipped.
            while (TryIptables(["-C", .. rule], out _))
            {
                Iptables(["-D", .. rule]);
            }
        }

        _rules.Clear();
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        Heal();
        if (!Directory.Exists(CgroupPath))
        {
            return;
        }

        // A cgroup can be removed only once empty: processes still in it go back to the root.
        foreach (var pid in File.ReadAllLines(Path.Combine(CgroupPath, "cgroup.procs")).Where(l => l.Length > 0))
        {
            try
            {
                File.WriteAllText(Path.Combine(_cgroupRoot, "cgroup.procs"), pid);
            }
            catch (IOException)
            {
                // The process ended meanwhile.
            }
        }

        Directory.Delete(CgroupPath);
    }

    private static void Iptables(string[] arguments)
    {
        if (!TryIptables(arguments, out var error))
        {
            throw new InvalidOperationException($"iptables {string.Join(' ', arguments)} failed: {error}");
        }
    }

    private static bool TryIptables(string[] arguments, out string error)
    {
        var start = new ProcessStartInfo("iptables") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        // -w: wait for the xtables lock rather than fail while another rule is being changed.
        start.ArgumentList.Add("-w");
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        error = process.StandardError.ReadToEnd();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0;
    }
}

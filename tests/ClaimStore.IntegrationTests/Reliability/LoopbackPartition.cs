using System.Diagnostics;
using System.Globalization;

namespace ClaimStore.IntegrationTests.Reliability;

/// <summary>
/// Cuts one TCP port of the loopback interface off, in both directions, with iptables rules that DROP
/// every packet to or from it (no reset: the other side sees silence, as across a broken network).
/// Only rules tagged with this instance's comment are added and removed; Dispose removes them, also
/// after a failed test.
/// </summary>
public sealed class LoopbackPartition : IDisposable
{
    private readonly string[][] _rules;
    private bool _healed;

    private LoopbackPartition(int port)
    {
        var tag = "claimstore-partition-" + Guid.NewGuid().ToString("N")[..12];
        var text = port.ToString(CultureInfo.InvariantCulture);
        _rules =
        [
            ["INPUT", "-i", "lo", "-p", "tcp", "--dport", text, "-m", "comment", "--comment", tag, "-j", "DROP"],
            ["INPUT", "-i", "lo", "-p", "tcp", "--sport", text, "-m", "comment", "--comment", tag, "-j", "DROP"],
        ];
        Port = port;
    }

    public int Port { get; }

    /// <summary>Drops all traffic to and from <paramref name="port"/> on loopback until disposed.</summary>
    public static LoopbackPartition Cut(int port)
    {
        if (!File.Exists("/usr/sbin/iptables") && !File.Exists("/sbin/iptables"))
        {
            throw new InvalidOperationException("iptables is not installed: apt-get install -y iptables (.ci/run does).");
        }

        var partition = new LoopbackPartition(port);
        try
        {
            foreach (var rule in partition._rules)
            {
                Iptables(["-I", .. rule]);
            }
        }
        catch
        {
            partition.Dispose();
            throw;
        }

        return partition;
    }

    /// <summary>Removes the rules; idempotent.</summary>
    public void Dispose()
    {
        if (_healed)
        {
            return;
        }

        _healed = true;
        foreach (var rule in _rules)
        {
            // -C succeeds while the rule is there; a rule that was never added is skipped.
            while (TryIptables(["-C", .. rule]))
            {
                Iptables(["-D", .. rule]);
            }
        }
    }

    private static void Iptables(string[] arguments)
    {
        if (!TryIptables(arguments, out var error))
        {
            throw new InvalidOperationException($"iptables {string.Join(' ', arguments)} failed: {error}");
        }
    }

    private static bool TryIptables(string[] arguments) => TryIptables(arguments, out _);

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

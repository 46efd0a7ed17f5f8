using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace ClaimStore.Testing.Tests;

/// <summary>The ports the kit gives hosts: never one an outgoing connection may take before the host binds it.</summary>
public sealed class LoopbackPortsTests
{
    [Fact]
    public void Next_ManyTimes_HandsOutDistinctBindablePortsBelowTheEphemeralRange()
    {
        var ephemeralStart = int.Parse(
            File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[])['\t', ' ', '\n'], StringSplitOptions.RemoveEmptyEntries)[0],
            CultureInfo.InvariantCulture);

        var ports = Enumerable.Range(0, 200).Select(_ => LoopbackPorts.Next()).ToList();

        Assert.Equal(ports.Count, ports.Distinct().Count());
        Assert.All(ports, port => Assert.InRange(port, 1_024, ephemeralStart - 1));
        using var listener = new TcpListener(IPAddress.Loopback, ports[^1]);
        listener.Start();
    }
}

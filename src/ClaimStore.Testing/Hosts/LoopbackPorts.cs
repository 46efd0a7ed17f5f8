using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace ClaimStore.Testing;

/// <summary>
/// Loopback ports for the hosts a test starts, chosen below the kernel's ephemeral range: a port from that range
/// that was free when chosen can become the source port of any outgoing connection (to PostgreSQL, say) before the
/// host binds it, and the host then fails to start with "address already in use".
/// </summary>
public static class LoopbackPorts
{
    private const int Lowest = 10_000;

    private static readonly Lock Gate = new();
    private static readonly HashSet<int> HandedOut = [];
    private static readonly int BelowEphemeral = EphemeralRangeStart();

    /// <summary>A loopback port nothing listens on now and that this process has not handed out before.</summary>
    public static int Next()
    {
        lock (Gate)
        {
            if (BelowEphemeral - Lowest >= 2_000)
            {
                for (var attempt = 0; attempt < 1_000; attempt++)
                {
                    var port = Random.Shared.Next(Lowest, BelowEphemeral);
                    if (!HandedOut.Contains(port) && IsFree(port))
                    {
                        HandedOut.Add(port);
                        return port;
                    }
                }
            }

            // No room below the ephemeral range (or all of it taken): let the kernel choose.
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var chosen = ((IPEndPoint)listener.LocalEndpoint).Port;
            HandedOut.Add(chosen);
            return chosen;
        }
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    // Linux says where its range starts; elsewhere the IANA range (49152) or Linux's default (32768) are the usual
    // starts, and ports below 32768 are outside both.
    private static int EphemeralRangeStart()
    {
        const string linuxRange = "/proc/sys/net/ipv4/ip_local_port_range";
        try
        {
            if (File.Exists(linuxRange)
                && int.TryParse(File.ReadAllText(linuxRange).Split((char[])['\t', ' ', '\n'], StringSplitOptions.RemoveEmptyEntries)[0], NumberStyles.None, CultureInfo.InvariantCulture, out var start))
            {
                return start;
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return 32_768;
    }
}

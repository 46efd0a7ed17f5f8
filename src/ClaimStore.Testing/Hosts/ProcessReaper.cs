using System.Collections.Concurrent;
using System.Diagnostics;

namespace ClaimStore.Testing.Hosts;

/// <summary>Kills the hosts still running when the process that started them exits without disposing the cluster.</summary>
internal static class ProcessReaper
{
    private static readonly ConcurrentDictionary<Process, byte> Running = new();

    static ProcessReaper()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) => KillAll();
    }

    public static void Track(Process process) => Running.TryAdd(process, 0);

    public static void Forget(Process process) => Running.TryRemove(process, out _);

    private static void KillAll()
    {
        foreach (var process in Running.Keys)
        {
            try
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                }
            }
            catch (InvalidOperationException)
            {
                // Exited and reaped meanwhile.
            }
        }
    }
}

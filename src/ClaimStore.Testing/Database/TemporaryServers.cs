using System.Globalization;

namespace ClaimStore.Testing;

/// <summary>
/// The kit's temporary server directories (<c>claimstore-pg-*</c> in the temp folder). Each holds an owner lock while its
/// <see cref="ClaimStorePostgres"/> lives; the operating system drops the lock when the owning process ends, however it
/// ends. A test process that is killed, or ends without disposing (a static fixture, a runner that does not wait for exit
/// handlers), leaves its directory (about 250 MB after a test suite) and sometimes its server behind: the next kit that
/// starts a temporary server stops such a server and deletes such a directory.
/// </summary>
internal static class TemporaryServers
{
    public const string Prefix = "claimstore-pg-";

    private const string OwnerFile = ".owner";

    // A directory without an owner file was made by an older kit, or is being made right now: only an old one goes.
    private static readonly TimeSpan UnownedGrace = TimeSpan.FromHours(1);

    /// <summary>A new temporary directory, with its owner lock held until the returned stream is disposed.</summary>
    public static (string Root, FileStream Owner) Create()
    {
        Sweep();
        var root = Path.Combine(Path.GetTempPath(), Prefix + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(root);
        return (root, Lock(Path.Combine(root, OwnerFile), FileMode.CreateNew));
    }

    /// <summary>Stops the servers of, and deletes, every temporary directory whose owner has gone.</summary>
    public static void Sweep()
    {
        foreach (var directory in Directory.EnumerateDirectories(Path.GetTempPath(), Prefix + "*"))
        {
            try
            {
                if (!IsOrphaned(directory))
                {
                    continue;
                }

                StopServers(directory);
                Directory.Delete(directory, recursive: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Another kit sweeps it at the same moment, or it is not ours to delete: leave it.
            }
        }
    }

    private static bool IsOrphaned(string directory)
    {
        var owner = Path.Combine(directory, OwnerFile);
        if (!File.Exists(owner))
        {
            return Directory.GetLastWriteTimeUtc(directory) < DateTime.UtcNow - UnownedGrace;
        }

        try
        {
            using var _ = Lock(owner, FileMode.Open);
            return true;
        }
        catch (IOException)
        {
            return false; // a living kit holds it
        }
    }

    // On Unix, .NET takes an advisory lock (flock) for FileShare.None, which a second open, of any process, fails on.
    private static FileStream Lock(string path, FileMode mode) =>
        new(path, mode, FileAccess.ReadWrite, FileShare.None);

    // The primary in pg/, a standby in pg-standby/: SIGQUIT is PostgreSQL's immediate shutdown, which a root process may send.
    private static void StopServers(string directory)
    {
        foreach (var pidFile in Directory.EnumerateFiles(directory, "postmaster.pid", SearchOption.AllDirectories))
        {
            if (!int.TryParse(File.ReadLines(pidFile).FirstOrDefault(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                || !IsPostgres(pid))
            {
                continue;
            }

            using (var quit = System.Diagnostics.Process.Start("kill", ["-QUIT", pid.ToString(CultureInfo.InvariantCulture)]))
            {
                quit.WaitForExit();
            }

            for (var i = 0; i < 200 && ClaimStorePostgres.IsRunning(pid); i++)
            {
                Thread.Sleep(50);
            }
        }
    }

    // A pid file outlives a crashed server, and its pid may belong to another process by now.
    private static bool IsPostgres(int pid)
    {
        try
        {
            return ClaimStorePostgres.IsRunning(pid)
                && File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/comm").Trim() is "postgres" or "postmaster";
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}

using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace ClaimStore.LocalPostgres;

/// <summary>Where <see cref="EmbeddedPostgres"/> keeps its cluster and which database it creates.</summary>
/// <param name="DataDirectory">The cluster's data directory; reused across starts. The password and log files live next to it.</param>
/// <param name="DatabaseName">The database created at start; <see cref="EmbeddedPostgres.ConnectionString"/> points at it.</param>
/// <param name="DeleteOnStop">Delete the data directory (and its password and log files) once the server is stopped.</param>
/// <param name="Standby">
/// Also run a streaming standby of the server (in <c>DataDirectory-standby</c>, on a port of its own) that the
/// server waits for at every commit (<c>synchronous_standby_names</c>), and hand out multi-host connection
/// strings that follow a promotion (docs/decisions/0014-synchronous-standby-for-failover.md).
/// </param>
public sealed record EmbeddedPostgresOptions(
    string DataDirectory, string DatabaseName = "claimstore", bool DeleteOnStop = false, bool Standby = false);

/// <summary>The embedded PostgreSQL server could not be found, initialised, started or stopped.</summary>
public sealed class EmbeddedPostgresException(string message, Exception? innerException = null)
    : Exception(message, innerException);

/// <summary>
/// A PostgreSQL server of this machine's own binaries, run on a private data directory and a free
/// loopback port: the store of a developer box without a configured server, and of the test suite.
/// </summary>
public sealed partial class EmbeddedPostgres : IAsyncDisposable, IDisposable
{
    private const string ServerUser = "postgres";
    private const string Loopback = "127.0.0.1";
    private const int PortAttempts = 3;
    private const int TailLines = 20;

    // The standby's application_name, which the primary's synchronous_standby_names waits for.
    private const string StandbyName = "claimstore_standby";

    // Npgsql otherwise keeps a promoted server marked as a standby, unfit for writes, for its default 10 s.
    private const int HostRecheckSeconds = 1;

    private const string BinariesNotFound =
        "PostgreSQL server binaries not found (looked in /usr/lib/postgresql/*/bin and pg_config --bindir): "
        + "install them (apt-get install postgresql) or set ConnectionStrings__ClaimStore to an existing server.";

    private static readonly TimeSpan ProcessTimeout = TimeSpan.FromSeconds(60);

    // Two starts on one directory in this process (parallel test classes) would race initdb and pg_ctl start.
    private static readonly Lock StartGate = new();

    // pg_ctl waits up to its own -t 60; the margin lets pg_ctl's message, not our kill, explain a slow server.
    private static readonly TimeSpan PgCtlWaitTimeout = TimeSpan.FromSeconds(70);

    private readonly EmbeddedPostgresOptions _options;
    private readonly ServerPaths _paths;
    private readonly ServerPaths? _standbyPaths;
    private readonly string _binDirectory;
    private readonly bool _asServerUser;
    private readonly string _password;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly HashSet<string> _issuedConnectionStrings = new(StringComparer.Ordinal);
    private bool _stopped;

    private EmbeddedPostgres(
        EmbeddedPostgresOptions options, ServerPaths paths, string binDirectory, bool asServerUser,
        string password, int port, bool reusedRunningServer, ILogger logger, (ServerPaths Paths, int Port)? standby)
    {
        _options = options;
        _paths = paths;
        _standbyPaths = standby?.Paths;
        StandbyPort = standby?.Port;
        _binDirectory = binDirectory;
        _asServerUser = asServerUser;
        _password = password;
        _logger = logger;
        Port = port;
        ReusedRunningServer = reusedRunningServer;
        ConnectionString = Issue(options.DatabaseName);
        AppDomain.CurrentDomain.ProcessExit += OnProcessExit;
    }

    /// <summary>Npgsql connection string (pooled) for <see cref="EmbeddedPostgresOptions.DatabaseName"/>.</summary>
    public string ConnectionString { get; }

    /// <summary>The loopback port the server listens on.</summary>
    public int Port { get; }

    /// <summary>The loopback port of the synchronous standby; null without one.</summary>
    public int? StandbyPort { get; }

    /// <summary>The standby's data directory; null without one.</summary>
    public string? StandbyDataDirectory => _standbyPaths?.DataDirectory;

    /// <summary>The data directory in use: the requested one, or its stand-in under /var/tmp when the postgres user cannot reach it.</summary>
    public string DataDirectory => _paths.DataDirectory;

    /// <summary>True when a server was already running on the data directory and was adopted instead of started.</summary>
    public bool ReusedRunningServer { get; }

    /// <summary>
    /// Initialises the data directory if needed, starts the server (or adopts one already running on
    /// that directory) and creates the database. Blocking: it runs while the host is being built.
    /// </summary>
    public static EmbeddedPostgres Start(EmbeddedPostgresOptions options, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.DataDirectory);
        ValidateDatabaseName(options.DatabaseName);
        var log = logger ?? NullLogger.Instance;

        if (OperatingSystem.IsWindows())
        {
            throw new EmbeddedPostgresException(
                "The embedded PostgreSQL server runs on Linux and macOS only: set ConnectionStrings__ClaimStore to an existing server.");
        }

        var binDirectory = FindBinDirectory();
        // PostgreSQL refuses to run as root, so root hands every server process to the postgres user.
        var asServerUser = Environment.UserName == "root";
        if (asServerUser)
        {
            EnsureServerUserExists();
        }

        EmbeddedPostgres server;
        lock (StartGate)
        {
            var paths = ResolvePaths(options.DataDirectory, asServerUser, log);
            var standbyPaths = options.Standby ? paths.Standby() : null;
            if (standbyPaths is not null)
            {
                ThrowIfStandbyWasPromoted(standbyPaths, paths);
            }

            var password = PrepareCluster(paths, binDirectory, asServerUser, log);
            var (port, reused) = StartOrAdopt(paths, binDirectory, asServerUser, log, port => ServerOptions(port, options.Standby));
            (ServerPaths, int)? standby = null;
            if (standbyPaths is not null)
            {
                try
                {
                    standby = (standbyPaths, StartStandby(standbyPaths, port, password, binDirectory, asServerUser, log));
                }
                catch
                {
                    Run(Path.Combine(binDirectory, "pg_ctl"), ["stop", "-D", paths.DataDirectory, "-m", "immediate"], asServerUser, ProcessTimeout);
                    throw;
                }
            }

            server = new EmbeddedPostgres(options, paths, binDirectory, asServerUser, password, port, reused, log, standby);
        }

        try
        {
            server.EnsureDatabase(options.DatabaseName);
        }
        catch
        {
            server.StopQuietly();
            throw;
        }

        return server;
    }

    /// <summary>Creates database <paramref name="name"/> if it does not exist and returns a pooled connection string for it.</summary>
    public string CreateDatabase(string name)
    {
        ValidateDatabaseName(name);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_stopped, this);
            EnsureDatabase(name);
            return Issue(name);
        }
    }

    /// <summary>
    /// Stops the server (fast shutdown: open sessions are ended, committed data is kept) and, with
    /// <see cref="EmbeddedPostgresOptions.DeleteOnStop"/>, deletes its files. Idempotent.
    /// </summary>
    public void Stop()
    {
        lock (_gate)
        {
            if (_stopped)
            {
                return;
            }

            ClearPools();
            StopServer(_paths, Port);
            if (_standbyPaths is not null)
            {
                StopServer(_standbyPaths, StandbyPort ?? 0);
            }

            _stopped = true;
            AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;
            if (_options.DeleteOnStop)
            {
                DeleteFiles();
            }
        }
    }

    /// <summary>
    /// Stops the server process but keeps it and its files for <see cref="Resume"/>: an outage as a
    /// test needs it. <paramref name="immediate"/> ends every server process at once, without a
    /// checkpoint, as a crash would; otherwise open sessions are ended and the server shuts down cleanly.
    /// </summary>
    public void Halt(bool immediate = false)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_stopped, this);
            ClearPools();
            var stop = Run(
                Path.Combine(_binDirectory, "pg_ctl"),
                ["stop", "-D", _paths.DataDirectory, "-m", immediate ? "immediate" : "fast", "-w", "-t", "60"],
                _asServerUser, PgCtlWaitTimeout);
            ThrowIfFailed("pg_ctl stop", stop);
        }
    }

    /// <summary>Starts a server stopped by <see cref="Halt"/> again, on the same port, so connection strings stay valid.</summary>
    public void Resume()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_stopped, this);
            var start = Run(
                Path.Combine(_binDirectory, "pg_ctl"),
                ["start", "-D", _paths.DataDirectory, "-l", _paths.LogFile, "-w", "-t", "60", "-o", ServerOptions(Port, _standbyPaths is not null)],
                _asServerUser, PgCtlWaitTimeout);
            ThrowIfFailed("pg_ctl start", start);
        }
    }

    /// <summary>
    /// Promotes the standby to a primary (<c>pg_ctl promote</c>, waiting until it accepts writes), as an
    /// operator or a failover manager does once the primary is lost. The old primary must not run again
    /// as a primary: it may hold commits the standby never received (see docs/reliability.md).
    /// </summary>
    public void PromoteStandby()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_stopped, this);
            var standby = _standbyPaths ?? throw new InvalidOperationException("This server was started without a standby.");
            var promote = Run(
                Path.Combine(_binDirectory, "pg_ctl"), ["promote", "-D", standby.DataDirectory, "-w", "-t", "60"], _asServerUser, PgCtlWaitTimeout);
            ThrowIfFailed("pg_ctl promote", promote);
        }
    }

    /// <summary>
    /// Lets go of the server without stopping it, for a short-lived process (an operator command)
    /// that borrowed a server another process runs. Idempotent; Stop does nothing afterwards.
    /// </summary>
    public void Detach()
    {
        lock (_gate)
        {
            if (_stopped)
            {
                return;
            }

            ClearPools();
            _stopped = true;
            AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;
        }
    }

    /// <inheritdoc />
    public void Dispose() => Stop();

    /// <inheritdoc />
    public ValueTask DisposeAsync() => new(Task.Run(Stop));

    private static void ValidateDatabaseName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        // The name is spliced into CREATE DATABASE, which takes no parameters.
        if (name.Length > 63 || !DatabaseNamePattern().IsMatch(name))
        {
            throw new ArgumentException(
                $"Database name '{name}' must match ^[a-z0-9_]+$ and be at most 63 characters.", nameof(name));
        }
    }

    [GeneratedRegex("^[a-z0-9_]+$", RegexOptions.CultureInvariant)]
    private static partial Regex DatabaseNamePattern();

    private static string FindBinDirectory()
    {
        const string debianRoot = "/usr/lib/postgresql";
        if (Directory.Exists(debianRoot))
        {
            var newest = Directory.EnumerateDirectories(debianRoot)
                .Select(dir => (Bin: Path.Combine(dir, "bin"), Version: ParseMajorVersion(Path.GetFileName(dir))))
                .Where(candidate => candidate.Version is not null && HasServerTools(candidate.Bin))
                .OrderByDescending(candidate => candidate.Version)
                .Select(candidate => candidate.Bin)
                .FirstOrDefault();
            if (newest is not null)
            {
                return newest;
            }
        }

        var pgConfig = FindOnPath("pg_config");
        if (pgConfig is not null)
        {
            var result = Run(pgConfig, ["--bindir"], asServerUser: false, ProcessTimeout);
            var bin = result.Output.Trim();
            if (result.ExitCode == 0 && HasServerTools(bin))
            {
                return bin;
            }
        }

        throw new EmbeddedPostgresException(BinariesNotFound);
    }

    private static Version? ParseMajorVersion(string name)
    {
        // Version folders are "15" since PostgreSQL 10 and "9.6" before it; compare them as numbers.
        if (int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out var major))
        {
            return new Version(major, 0);
        }

        return Version.TryParse(name, out var version) ? version : null;
    }

    private static bool HasServerTools(string bin) =>
        bin.Length > 0 && File.Exists(Path.Combine(bin, "initdb")) && File.Exists(Path.Combine(bin, "pg_ctl"));

    private static string? FindOnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, program))
            .FirstOrDefault(File.Exists);

    private static void EnsureServerUserExists()
    {
        if (Run("id", ["-u", ServerUser], asServerUser: false, ProcessTimeout).ExitCode != 0)
        {
            throw new EmbeddedPostgresException(
                "Running as root, the embedded PostgreSQL server needs the 'postgres' system user, which does not exist: "
                + "install postgresql (it creates the user) or set ConnectionStrings__ClaimStore to an existing server.");
        }
    }

    private static ServerPaths ResolvePaths(string requestedDirectory, bool asServerUser, ILogger logger)
    {
        var requested = Path.TrimEndingDirectorySeparator(Path.GetFullPath(requestedDirectory));
        var name = Path.GetFileName(requested);
        var parent = Path.GetDirectoryName(requested);
        if (string.IsNullOrEmpty(name) || string.IsNullOrEmpty(parent))
        {
            throw new EmbeddedPostgresException(
                $"'{requestedDirectory}' cannot hold a PostgreSQL cluster: choose a directory below the file system root.");
        }

        Directory.CreateDirectory(parent);
        if (!asServerUser || Run("test", ["-x", parent], asServerUser: true, ProcessTimeout).ExitCode == 0)
        {
            return ServerPaths.In(parent, name, fallbackRoot: null);
        }

        // The postgres user cannot reach the requested place (e.g. below /root): keep a stable stand-in per requested path.
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(requested)))[..12];
        var fallback = Path.Combine("/var/tmp", "claimstore-" + hash);
        Directory.CreateDirectory(fallback);
        Log.UsingFallbackDirectory(logger, requested, fallback);
        return ServerPaths.In(fallback, name, fallback);
    }

    private static string PrepareCluster(ServerPaths paths, string binDirectory, bool asServerUser, ILogger logger)
    {
        var initialised = File.Exists(Path.Combine(paths.DataDirectory, "PG_VERSION"));
        var password = File.Exists(paths.PasswordFile) ? File.ReadAllText(paths.PasswordFile).Trim() : string.Empty;
        if (password.Length == 0)
        {
            if (initialised)
            {
                throw new EmbeddedPostgresException(
                    $"The PostgreSQL cluster in {paths.DataDirectory} has no password file ({paths.PasswordFile}): "
                    + "delete the directory to start afresh or set ConnectionStrings__ClaimStore to an existing server.");
            }

            // Hex keeps the password free of characters that need quoting in connection strings.
            password = RandomNumberGenerator.GetHexString(32, lowercase: true);
            WriteOwnerOnlyFile(paths.PasswordFile, password);
        }

        if (!initialised)
        {
            Directory.CreateDirectory(paths.DataDirectory);
            if (Directory.EnumerateFileSystemEntries(paths.DataDirectory).Any())
            {
                throw new EmbeddedPostgresException(
                    $"{paths.DataDirectory} is not empty but holds no PostgreSQL cluster (no PG_VERSION): delete it or choose another data directory.");
            }

            RestrictToOwner(paths.DataDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        // pg_ctl opens the log as the server user, who may not be allowed to create files in the parent directory.
        using (File.Open(paths.LogFile, FileMode.Append, FileAccess.Write))
        {
        }

        if (asServerUser)
        {
            var chown = Run(
                "chown", ["-R", ServerUser + ":", paths.DataDirectory, paths.PasswordFile, paths.LogFile],
                asServerUser: false, ProcessTimeout);
            ThrowIfFailed("chown of the data directory", chown);
        }

        if (!initialised)
        {
            Log.Initialising(logger, paths.DataDirectory, binDirectory);
            var initdb = Run(
                Path.Combine(binDirectory, "initdb"),
                [
                    "-D", paths.DataDirectory, "-U", ServerUser, "--auth=scram-sha-256",
                    "--pwfile=" + paths.PasswordFile, "-E", "UTF8", "--locale=C.UTF-8",
                ],
                asServerUser, ProcessTimeout);
            ThrowIfFailed("initdb", initdb);
        }

        return password;
    }

    private static (int Port, bool Reused) StartOrAdopt(
        ServerPaths paths, string binDirectory, bool asServerUser, ILogger logger, Func<int, string> serverOptionsFor)
    {
        var pgCtl = Path.Combine(binDirectory, "pg_ctl");
        if (Run(pgCtl, ["status", "-D", paths.DataDirectory], asServerUser, ProcessTimeout).ExitCode == 0)
        {
            // Left running by a host that was killed: adopt it rather than fail on the locked directory.
            var runningPort = ReadPortFromPidFile(paths.DataDirectory);
            Log.Adopting(logger, runningPort, paths.DataDirectory);
            return (runningPort, true);
        }

        for (var attempt = 1; ; attempt++)
        {
            var port = FreeLoopbackPort();
            var logStart = new FileInfo(paths.LogFile).Length;
            var serverOptions = serverOptionsFor(port);
            var start = Run(
                pgCtl,
                ["start", "-D", paths.DataDirectory, "-l", paths.LogFile, "-w", "-t", "60", "-o", serverOptions],
                asServerUser, PgCtlWaitTimeout);
            if (start.ExitCode == 0)
            {
                Log.Started(logger, port, paths.DataDirectory);
                return (port, false);
            }

            var serverLog = ReadLogSince(paths.LogFile, logStart);
            // The port was free when probed, but another process may bind it before the server does.
            if (attempt < PortAttempts && serverLog.Contains("Address already in use", StringComparison.Ordinal))
            {
                Log.PortTaken(logger, port);
                continue;
            }

            // A server that timed out while starting may still come up later: do not leave it behind.
            Run(pgCtl, ["stop", "-D", paths.DataDirectory, "-m", "immediate"], asServerUser, ProcessTimeout);
            throw new EmbeddedPostgresException(
                $"pg_ctl start failed (exit code {start.ExitCode}) for {paths.DataDirectory}:{Environment.NewLine}"
                + Tail(start.Output) + Environment.NewLine + "Server log (" + paths.LogFile + "):" + Environment.NewLine + serverLog);
        }
    }

    private static string ServerOptions(int port, bool waitForStandby) => string.Join(
        ' ',
        "-p", port.ToString(CultureInfo.InvariantCulture),
        "-c", "listen_addresses=" + Loopback,
        "-c", "unix_socket_directories=''",
        "-c", "max_connections=200",
        "-c", "shared_buffers=" + SharedBuffers,
        "-c", "fsync=on",
        // A commit returns only once the standby has flushed it: what a promotion keeps. On the command line,
        // not in the data directory, so a standby copied from it never waits for a standby of its own.
        waitForStandby ? $"-c synchronous_standby_names={StandbyName} -c synchronous_commit=on" : "");

    /// <summary>
    /// An eighth of the memory this process may use, between PostgreSQL's default of 128 MB and 1 GB. The read side's
    /// and the search index's pages are the working set of every round; at 128 MB a store of a million claims read most
    /// of them back from the OS cache, and PostgreSQL spent a third more CPU on a projector round. Pages are only
    /// touched as used, so an idle test server costs nothing like that.
    /// </summary>
    internal static string SharedBuffers { get; } =
        $"{Math.Clamp(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 8 / (1024 * 1024), 128, 1024).ToString(CultureInfo.InvariantCulture)}MB";

    private static void ThrowIfStandbyWasPromoted(ServerPaths standby, ServerPaths primary)
    {
        // A promoted standby has no standby.signal: both directories would now start as primaries and diverge.
        if (File.Exists(Path.Combine(standby.DataDirectory, "PG_VERSION")) && !File.Exists(Path.Combine(standby.DataDirectory, "standby.signal")))
        {
            throw new EmbeddedPostgresException(
                $"The standby in {standby.DataDirectory} was promoted to a primary, so {primary.DataDirectory} must not run as a primary again: "
                + $"keep the promoted data (move {standby.DataDirectory} to {primary.DataDirectory} after deleting the old primary) "
                + "and start again, which copies a new standby from it; see docs/reliability.md.");
        }
    }

    /// <summary>
    /// Copies the primary into a standby (once: <c>pg_basebackup -R</c>), points it at the primary's
    /// current port and starts it (or adopts it), then waits until the primary lists it as synchronous.
    /// </summary>
    private static int StartStandby(ServerPaths standby, int primaryPort, string password, string binDirectory, bool asServerUser, ILogger logger)
    {
        var conninfo = $"host={Loopback} port={primaryPort.ToString(CultureInfo.InvariantCulture)} user={ServerUser} password={password} application_name={StandbyName}";
        if (!File.Exists(Path.Combine(standby.DataDirectory, "PG_VERSION")))
        {
            Directory.CreateDirectory(standby.DataDirectory);
            if (Directory.EnumerateFileSystemEntries(standby.DataDirectory).Any())
            {
                throw new EmbeddedPostgresException($"{standby.DataDirectory} is not empty but holds no PostgreSQL cluster: delete it.");
            }

            RestrictToOwner(standby.DataDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            if (asServerUser)
            {
                ThrowIfFailed("chown of the standby directory", Run("chown", [ServerUser + ":", standby.DataDirectory], asServerUser: false, ProcessTimeout));
            }

            Log.CopyingStandby(logger, standby.DataDirectory, primaryPort);
            var backup = Run(
                Path.Combine(binDirectory, "pg_basebackup"),
                ["-D", standby.DataDirectory, "-d", conninfo, "-X", "stream", "-R", "-c", "fast"],
                asServerUser, PgCtlWaitTimeout);
            ThrowIfFailed("pg_basebackup", backup);
        }

        // The primary's port changes from start to start: the standby is pointed at the current one each time.
        var autoConf = Path.Combine(standby.DataDirectory, "postgresql.auto.conf");
        var settings = File.ReadAllLines(autoConf).Where(line => !line.StartsWith("primary_conninfo", StringComparison.Ordinal));
        File.WriteAllLines(autoConf, [.. settings, $"primary_conninfo = '{conninfo}'"]);
        using (File.Open(standby.LogFile, FileMode.Append, FileAccess.Write))
        {
        }

        if (asServerUser)
        {
            ThrowIfFailed("chown of the standby log", Run("chown", [ServerUser + ":", standby.LogFile, autoConf], asServerUser: false, ProcessTimeout));
        }

        var (port, _) = StartOrAdopt(standby, binDirectory, asServerUser, logger, port => ServerOptions(port, waitForStandby: false));
        WaitUntilSynchronous(primaryPort, password);
        Log.StandbyStreaming(logger, port, standby.DataDirectory);
        return port;
    }

    private static void WaitUntilSynchronous(int primaryPort, string password)
    {
        var connectionString = new NpgsqlConnectionStringBuilder
        {
            Host = Loopback, Port = primaryPort, Username = ServerUser, Password = password, Database = "postgres", Pooling = false,
        }.ConnectionString;
        var clock = Stopwatch.StartNew();
        while (true)
        {
            using (var connection = new NpgsqlConnection(connectionString))
            {
                connection.Open();
                using var command = new NpgsqlCommand("select count(*) from pg_stat_replication where application_name = @n and sync_state = 'sync'", connection);
                command.Parameters.AddWithValue("n", StandbyName);
                if (Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture) > 0)
                {
                    return;
                }
            }

            if (clock.Elapsed > ProcessTimeout)
            {
                throw new EmbeddedPostgresException($"The standby did not become synchronous within {ProcessTimeout.TotalSeconds:0} s.");
            }

            Thread.Sleep(100);
        }
    }

    private static int ReadPortFromPidFile(string dataDirectory)
    {
        var pidFile = Path.Combine(dataDirectory, "postmaster.pid");
        var lines = File.ReadAllLines(pidFile);
        // Line 4 of postmaster.pid is the port (after pid, data directory and start time).
        if (lines.Length >= 4 && int.TryParse(lines[3].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var port))
        {
            return port;
        }

        throw new EmbeddedPostgresException($"A server is running on {dataDirectory} but {pidFile} names no port.");
    }

    private static int FreeLoopbackPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
        finally
        {
            listener.Stop();
        }
    }

    private static string ReadLogSince(string logFile, long offset)
    {
        try
        {
            using var stream = new FileStream(logFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            stream.Seek(Math.Min(offset, stream.Length), SeekOrigin.Begin);
            using var reader = new StreamReader(stream);
            return Tail(reader.ReadToEnd());
        }
        catch (IOException ex)
        {
            return $"(could not read {logFile}: {ex.Message})";
        }
    }

    private static string Tail(string text)
    {
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return string.Join(Environment.NewLine, lines.TakeLast(TailLines));
    }

    private static void ThrowIfFailed(string what, ProcessResult result)
    {
        if (result.ExitCode != 0)
        {
            throw new EmbeddedPostgresException(
                $"{what} failed (exit code {result.ExitCode}):{Environment.NewLine}{Tail(result.Output)}");
        }
    }

    private static void WriteOwnerOnlyFile(string path, string content)
    {
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            // Created 600 so the password is never readable by others, not even briefly.
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(path, options))
        {
            stream.Write(Encoding.ASCII.GetBytes(content));
        }

        RestrictToOwner(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    private static void RestrictToOwner(string path, UnixFileMode mode)
    {
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, mode);
        }
    }

    private static ProcessResult Run(string program, IReadOnlyList<string> arguments, bool asServerUser, TimeSpan timeout)
    {
        var startInfo = new ProcessStartInfo
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            // The server user may not be allowed into the host's working directory (e.g. /root).
            WorkingDirectory = "/",
        };
        if (asServerUser)
        {
            startInfo.FileName = "runuser";
            foreach (var argument in (string[])["-u", ServerUser, "--", program])
            {
                startInfo.ArgumentList.Add(argument);
            }
        }
        else
        {
            startInfo.FileName = program;
        }

        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        var commandLine = string.Join(' ', startInfo.ArgumentList.Prepend(startInfo.FileName));
        var output = new StringBuilder();
        void Collect(object sender, DataReceivedEventArgs e)
        {
            if (e.Data is not null)
            {
                lock (output)
                {
                    output.AppendLine(e.Data);
                }
            }
        }

        using var process = new Process { StartInfo = startInfo };
        process.OutputDataReceived += Collect;
        process.ErrorDataReceived += Collect;
        try
        {
            process.Start();
        }
        catch (Win32Exception ex)
        {
            throw new EmbeddedPostgresException($"Could not run {commandLine}: {ex.Message}", ex);
        }

        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var timeoutSource = new CancellationTokenSource(timeout);
        try
        {
            process.WaitForExitAsync(timeoutSource.Token).GetAwaiter().GetResult();
        }
        catch (OperationCanceledException)
        {
            // An exited process whose output pipe is still held by a daemonised child has finished all the same.
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                throw new EmbeddedPostgresException(
                    $"{commandLine} did not finish within {timeout.TotalSeconds:0} s:{Environment.NewLine}{Tail(Snapshot(output))}");
            }
        }

        return new ProcessResult(process.ExitCode, Snapshot(output));
    }

    private static string Snapshot(StringBuilder output)
    {
        lock (output)
        {
            return output.ToString();
        }
    }

    private string Issue(string database)
    {
        var connectionString = BuildConnectionString(database, pooling: true);
        _issuedConnectionStrings.Add(connectionString);
        return connectionString;
    }

    private string BuildConnectionString(string database, bool pooling)
    {
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = Loopback,
            Port = Port,
            Username = ServerUser,
            Password = _password,
            Database = database,
            Pooling = pooling,
        };
        if (StandbyPort is { } standbyPort)
        {
            // Both servers, and only the one that takes writes: after a promotion that is the former standby.
            builder.Host = string.Create(CultureInfo.InvariantCulture, $"{Loopback}:{Port},{Loopback}:{standbyPort}");
            builder.TargetSessionAttributes = "read-write";
            builder.HostRecheckSeconds = HostRecheckSeconds;
        }

        return builder.ConnectionString;
    }

    private void EnsureDatabase(string name)
    {
        // Unpooled: an idle admin connection to the postgres database would outlive its use.
        using var connection = new NpgsqlConnection(BuildConnectionString("postgres", pooling: false));
        connection.Open();
        using (var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = @n", connection))
        {
            exists.Parameters.AddWithValue("n", name);
            if (exists.ExecuteScalar() is not null)
            {
                return;
            }
        }

        using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
        try
        {
            create.ExecuteNonQuery();
            Log.DatabaseCreated(_logger, name);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.DuplicateDatabase)
        {
            // Another process created it between the check and the create: that is the wanted outcome.
        }
    }

    private void ClearPools()
    {
        // Pooled connections would otherwise be handed out dead after the server is gone.
        foreach (var connectionString in _issuedConnectionStrings)
        {
            using var connection = new NpgsqlConnection(connectionString);
            NpgsqlConnection.ClearPool(connection);
        }
    }

    private void StopServer(ServerPaths paths, int port)
    {
        if (!Directory.Exists(paths.DataDirectory))
        {
            return;
        }

        var pgCtl = Path.Combine(_binDirectory, "pg_ctl");
        var stop = Run(
            pgCtl, ["stop", "-D", paths.DataDirectory, "-m", "fast", "-w", "-t", "60"], _asServerUser, PgCtlWaitTimeout);
        if (stop.ExitCode == 0)
        {
            Log.Stopped(_logger, port, paths.DataDirectory);
            return;
        }

        // Not running any more (another instance adopted and stopped it, or it was killed): nothing left to do.
        if (Run(pgCtl, ["status", "-D", paths.DataDirectory], _asServerUser, ProcessTimeout).ExitCode != 0)
        {
            return;
        }

        ThrowIfFailed("pg_ctl stop", stop);
    }

    private void DeleteFiles()
    {
        if (_paths.FallbackRoot is not null)
        {
            DeleteDirectory(_paths.FallbackRoot);
            return;
        }

        DeleteDirectory(_paths.DataDirectory);
        File.Delete(_paths.PasswordFile);
        File.Delete(_paths.LogFile);
        if (_standbyPaths is not null)
        {
            DeleteDirectory(_standbyPaths.DataDirectory);
            File.Delete(_standbyPaths.LogFile);
        }
    }

    private static void DeleteDirectory(string path)
    {
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
            // Already gone, e.g. deleted by another instance sharing the directory.
        }
    }

    private void StopQuietly()
    {
        try
        {
            Stop();
        }
        catch (EmbeddedPostgresException ex)
        {
            Log.StopFailed(_logger, _paths.DataDirectory, ex);
        }
    }

    private void OnProcessExit(object? sender, EventArgs e)
    {
        try
        {
            Stop();
        }
        catch (Exception ex) when (ex is EmbeddedPostgresException or IOException or UnauthorizedAccessException)
        {
            // The logging pipeline may already be torn down at process exit; stderr is not.
            Console.Error.WriteLine($"Could not stop the embedded PostgreSQL server on {_paths.DataDirectory}: {ex.Message}");
        }
    }

    private sealed record ProcessResult(int ExitCode, string Output);

    private sealed record ServerPaths(string DataDirectory, string PasswordFile, string LogFile, string? FallbackRoot)
    {
        public static ServerPaths In(string directory, string name, string? fallbackRoot) =>
            new(
                Path.Combine(directory, name),
                Path.Combine(directory, name + ".password"),
                Path.Combine(directory, name + ".log"),
                fallbackRoot);

        /// <summary>The standby's files beside the primary's: <c>name-standby</c> and <c>name-standby.log</c>; it shares the password.</summary>
        public ServerPaths Standby() => this with
        {
            DataDirectory = DataDirectory + "-standby",
            LogFile = DataDirectory + "-standby.log",
        };
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning,
            Message = "The postgres user cannot reach {Requested}; keeping the embedded PostgreSQL data under {Fallback} instead")]
        public static partial void UsingFallbackDirectory(ILogger logger, string requested, string fallback);

        [LoggerMessage(Level = LogLevel.Information, Message = "Initialising a PostgreSQL cluster in {DataDirectory} with {BinDirectory}")]
        public static partial void Initialising(ILogger logger, string dataDirectory, string binDirectory);

        [LoggerMessage(Level = LogLevel.Information, Message = "Embedded PostgreSQL started on 127.0.0.1:{Port} with data in {DataDirectory}")]
        public static partial void Started(ILogger logger, int port, string dataDirectory);

        [LoggerMessage(Level = LogLevel.Information,
            Message = "Adopting the PostgreSQL server already running on 127.0.0.1:{Port} with data in {DataDirectory}")]
        public static partial void Adopting(ILogger logger, int port, string dataDirectory);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Port {Port} was taken before PostgreSQL could bind it; trying another")]
        public static partial void PortTaken(ILogger logger, int port);

        [LoggerMessage(Level = LogLevel.Information, Message = "Copying the embedded PostgreSQL server on port {PrimaryPort} into a standby in {DataDirectory}")]
        public static partial void CopyingStandby(ILogger logger, string dataDirectory, int primaryPort);

        [LoggerMessage(Level = LogLevel.Information,
            Message = "Embedded PostgreSQL standby streaming synchronously on 127.0.0.1:{Port} with data in {DataDirectory}")]
        public static partial void StandbyStreaming(ILogger logger, int port, string dataDirectory);

        [LoggerMessage(Level = LogLevel.Information, Message = "Created database {Database} on the embedded PostgreSQL server")]
        public static partial void DatabaseCreated(ILogger logger, string database);

        [LoggerMessage(Level = LogLevel.Information, Message = "Embedded PostgreSQL on port {Port} stopped ({DataDirectory})")]
        public static partial void Stopped(ILogger logger, int port, string dataDirectory);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Could not stop the embedded PostgreSQL server on {DataDirectory}")]
        public static partial void StopFailed(ILogger logger, string dataDirectory, Exception exception);
    }
}

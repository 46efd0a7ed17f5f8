using System.Diagnostics;
using System.Globalization;
using ClaimStore.Api.Hosting;
using ClaimStore.Grains.Storage;
using Marten;
using Microsoft.Extensions.DependencyInjection;

namespace ClaimStore.IntegrationTests.Reliability;

/// <summary>
/// A PostgreSQL server of its own for a test that stops it: the embedded server in a temporary
/// directory, stopped and started again with <c>pg_ctl</c> on the same data directory and the same
/// port, so the host under test keeps its connection string across the outage.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    private readonly EmbeddedPostgres _server;
    private readonly string _root;
    private readonly string _pgCtl;
    private readonly bool _asServerUser = Environment.UserName == "root";

    private PostgresServer(EmbeddedPostgres server, string root)
    {
        _server = server;
        _root = root;
        // The first word of postmaster.opts is the server binary; pg_ctl lives next to it.
        var opts = File.ReadAllText(Path.Combine(server.DataDirectory, "postmaster.opts"));
        _pgCtl = Path.Combine(Path.GetDirectoryName(opts.Split(' ', 2)[0])!, "pg_ctl");
    }

    public string ConnectionString => _server.ConnectionString;

    public int Port => _server.Port;

    /// <summary>Starts a server with database <paramref name="database"/> and ClaimStore's schema in it.</summary>
    public static async Task<PostgresServer> StartAsync(string database)
    {
        var root = Path.Combine(Path.GetTempPath(), $"claimstore-outage-{Guid.NewGuid():N}"[..36]);
        var server = EmbeddedPostgres.Start(new EmbeddedPostgresOptions(Path.Combine(root, "pg"), database, DeleteOnStop: true));
        await using var services = new ServiceCollection().AddClaimStoreStorage(server.ConnectionString).BuildServiceProvider();
        await services.GetRequiredService<IDocumentStore>().Storage.ApplyAllConfiguredChangesToDatabaseAsync();
        return new PostgresServer(server, root);
    }

    /// <summary>
    /// Stops the server: <c>fast</c> ends every session and shuts down cleanly (an operator's stop,
    /// a failover); <c>immediate</c> ends every process at once, without a checkpoint, as a crash
    /// would, so the restart has to recover from the write-ahead log.
    /// </summary>
    public void Stop(string mode) =>
        PgCtl("stop", "-D", _server.DataDirectory, "-m", mode, "-w", "-t", "30");

    /// <summary>Starts the server again on the same data directory and port.</summary>
    public void Restart()
    {
        var options = string.Join(' ',
            "-p", Port.ToString(CultureInfo.InvariantCulture),
            "-c", "listen_addresses=127.0.0.1",
            "-c", "unix_socket_directories=''",
            "-c", "max_connections=200",
            "-c", "fsync=on");
        PgCtl("start", "-D", _server.DataDirectory, "-l", _server.DataDirectory + ".log", "-w", "-t", "60", "-o", options);
    }

    /// <summary>
    /// Freezes the server (SIGSTOP to the postmaster and every backend): connections are still
    /// accepted by the kernel and nothing answers, as with a hung server or a network that drops packets.
    /// </summary>
    public void Freeze() => Signal("STOP");

    /// <summary>Lets a frozen server run on (SIGCONT).</summary>
    public void Thaw() => Signal("CONT");

    public async ValueTask DisposeAsync()
    {
        try
        {
            // Stops whatever runs on the directory (pg_ctl finds it) and deletes the files.
            await _server.DisposeAsync();
        }
        finally
        {
            if (Directory.Exists(_root))
            {
                Directory.Delete(_root, recursive: true);
            }
        }
    }

    private void Signal(string signal)
    {
        var postmaster = File.ReadLines(Path.Combine(_server.DataDirectory, "postmaster.pid")).First().Trim();
        var children = Run("pgrep", "-P", postmaster).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        // The postmaster first on STOP (no new backends forked meanwhile), last on CONT.
        string[] pids = signal == "STOP" ? [postmaster, .. children] : [.. children, postmaster];
        Run("kill", ["-" + signal, .. pids]);
    }

    private static string Run(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { UseShellExecute = false, RedirectStandardOutput = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var text = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return text;
    }

    private void PgCtl(params string[] arguments)
    {
        var start = new ProcessStartInfo
        {
            FileName = _asServerUser ? "runuser" : _pgCtl,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = "/",
        };
        foreach (var argument in (_asServerUser ? ["-u", "postgres", "--", _pgCtl] : Array.Empty<string>()).Concat(arguments))
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(90_000))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"pg_ctl {arguments[0]} did not finish within 90 s.");
        }

        if (process.ExitCode != 0)
        {
            // A started server may hold pg_ctl's pipes: read what is there, do not wait for their end.
            var said = (stdout.Wait(1000) ? stdout.Result : "") + (stderr.Wait(1000) ? stderr.Result : "");
            throw new InvalidOperationException($"pg_ctl {arguments[0]} failed ({process.ExitCode}): {said}");
        }
    }
}

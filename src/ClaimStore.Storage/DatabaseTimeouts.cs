using System.Data.Common;
using System.Globalization;
using Microsoft.Extensions.Configuration;
using Npgsql;

namespace ClaimStore.Storage;

/// <summary>
/// How long ClaimStore waits for PostgreSQL: the <c>Database</c> configuration section
/// (<c>Database:ConnectTimeoutSeconds</c>, <c>Database:CommandTimeoutSeconds</c>), and how long
/// PostgreSQL lets an append transaction sit idle (<c>Database:AppendIdleTimeoutSeconds</c>).
/// </summary>
/// <remarks>
/// <para>
/// The first two apply to every connection of the store's <see cref="NpgsqlDataSource"/> (appends, their
/// announcement to log readers, commits, reads, the read side and <c>/health</c>) and to Marten's sessions. A
/// database that is down refuses connections at once; one that hangs (a frozen server, a network
/// that drops packets) makes each step fail after its timeout instead of holding a request, a
/// grain and the silo's commit loop for Npgsql's defaults (15 s to connect, 30 s per command).
/// A command that times out is cancelled, which Npgsql waits up to its <c>Cancellation Timeout</c>
/// (2 s) for before it breaks the connection.
/// </para>
/// <para>
/// Precedence, per value: the configuration key, then <c>Timeout</c> / <c>Command Timeout</c> named
/// in the connection string, then the defaults (5 s each).
/// </para>
/// <para>
/// An append transaction holds back every reader of the log while it is open (decision 0007). One that
/// sits idle between its statements for <see cref="AppendIdleTimeoutSeconds"/> (default 10 s: its host
/// froze, or lost the network mid-transaction) is ended by PostgreSQL
/// (<c>idle_in_transaction_session_timeout</c>, set for that transaction only); nothing of it was
/// acknowledged, and readers go on.
/// </para>
/// </remarks>
public sealed record DatabaseTimeouts(int ConnectTimeoutSeconds, int CommandTimeoutSeconds, int AppendIdleTimeoutSeconds = 10)
{
    public const string Section = "Database";

    public const string ConnectTimeoutKey = Section + ":" + nameof(ConnectTimeoutSeconds);

    public const string CommandTimeoutKey = Section + ":" + nameof(CommandTimeoutSeconds);

    public const string AppendIdleTimeoutKey = Section + ":" + nameof(AppendIdleTimeoutSeconds);

    /// <summary>PostgreSQL takes the idle timeout in milliseconds, as a 32-bit integer.</summary>
    private const int MaxIdleTimeoutSeconds = int.MaxValue / 1000;

    /// <summary>Npgsql caps the connect timeout at this many seconds.</summary>
    private const int MaxConnectTimeoutSeconds = 1024;

    /// <summary>
    /// 5 s to connect (loopback and LAN connects take milliseconds), 5 s per command (Marten's own
    /// default), 10 s for an append transaction to sit idle (it normally ends within milliseconds).
    /// </summary>
    public static DatabaseTimeouts Default { get; } = new(5, 5);

    /// <summary>
    /// The timeouts for <paramref name="connectionString"/>: configuration first, then what the
    /// connection string names, then <see cref="Default"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">A configured value is not a whole number of seconds in range.</exception>
    public static DatabaseTimeouts Resolve(IConfiguration? configuration, string connectionString)
    {
        var named = NamedInConnectionString(connectionString);
        return new DatabaseTimeouts(
            Read(configuration, ConnectTimeoutKey, MaxConnectTimeoutSeconds) ?? named.Connect ?? Default.ConnectTimeoutSeconds,
            Read(configuration, CommandTimeoutKey, int.MaxValue) ?? named.Command ?? Default.CommandTimeoutSeconds,
            Read(configuration, AppendIdleTimeoutKey, MaxIdleTimeoutSeconds) ?? Default.AppendIdleTimeoutSeconds);
    }

    /// <summary>
    /// A data source on <paramref name="connectionString"/> with these timeouts, and tuned for the
    /// store's pattern of the same few statements over a small pool: statements used twice are
    /// prepared on their connection (PostgreSQL then skips parsing and planning them), and a
    /// connection going back to the pool keeps its session instead of a <c>DISCARD ALL</c> round trip
    /// (ClaimStore never leaves session state behind: its locks are transaction-scoped). Settings
    /// named in the connection string win, but for <paramref name="maxPoolSize"/>, which caps the one written there.
    /// </summary>
    public NpgsqlDataSource BuildDataSource(string connectionString, int? maxPoolSize = null)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        var settings = builder.ConnectionStringBuilder;
        if (maxPoolSize is { } max)
        {
            settings.MaxPoolSize = Math.Min(settings.MaxPoolSize, max);
            settings.MinPoolSize = Math.Min(settings.MinPoolSize, settings.MaxPoolSize);
        }

        settings.Timeout = ConnectTimeoutSeconds;
        settings.CommandTimeout = CommandTimeoutSeconds;
        var written = WrittenKeywords(connectionString);
        if (!written.Contains("MAXAUTOPREPARE"))
        {
            settings.MaxAutoPrepare = 64;
            settings.AutoPrepareMinUsages = 2;
        }

        if (!written.Contains("NORESETONCLOSE"))
        {
            settings.NoResetOnClose = true;
        }

        return builder.Build();
    }

    private static int? Read(IConfiguration? configuration, string key, int max)
    {
        var text = configuration?[key];
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        if (int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds >= 1 && seconds <= max)
        {
            return seconds;
        }

        throw new InvalidOperationException(
            $"{key} is '{text}'; it must be a whole number of seconds from 1 to {max.ToString(CultureInfo.InvariantCulture)}.");
    }

    private static (int? Connect, int? Command) NamedInConnectionString(string connectionString)
    {
        var written = WrittenKeywords(connectionString);
        var npgsql = new NpgsqlConnectionStringBuilder(connectionString);
        return (written.Contains("TIMEOUT") ? npgsql.Timeout : null, written.Contains("COMMANDTIMEOUT") ? npgsql.CommandTimeout : null);
    }

    // NpgsqlConnectionStringBuilder reports every keyword it knows as present; the generic builder only
    // the ones written. Upper case without spaces, as Npgsql matches them.
    private static HashSet<string> WrittenKeywords(string connectionString) =>
        new DbConnectionStringBuilder { ConnectionString = connectionString }.Keys.Cast<string>()
            .Select(keyword => keyword.Replace(" ", "", StringComparison.Ordinal).ToUpperInvariant())
            .ToHashSet(StringComparer.Ordinal);
}

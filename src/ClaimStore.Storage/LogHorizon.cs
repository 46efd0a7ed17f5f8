using System.Globalization;
using ClaimStore.Storage.Telemetry;
using Npgsql;

namespace ClaimStore.Storage;

/// <summary>
/// How far the global event log can be followed in sequence order without ever skipping an event
/// that commits later (decision 0007). Appends commit concurrently, so a reader can see sequence 11
/// while 10 is still in an open transaction. Each append transaction therefore announces, before it
/// draws any sequence number, a <em>floor</em>: the last number drawn so far, held as a shared
/// transaction-scoped advisory lock whose key is the floor. Every number that transaction draws is
/// above its floor, and the lock goes away only once its commit (or rollback) is visible.
/// A reader then follows the log up to the <em>horizon</em>: the lowest of the last number drawn and
/// every announced floor. Below the horizon, every number that will ever hold a committed event
/// holds it already; a number still missing there was rolled back and stays a gap.
/// </summary>
/// <remarks>
/// Order matters on both sides. An appender reads the sequence before it locks, so a reader that
/// misses its lock read the sequence before that, and the appender's numbers all lie above what the
/// reader read. A reader reads the sequence, then the locks, then the rows: a transaction that
/// drew a number at or below what the reader read had locked before, and either is still listed
/// (and holds the horizon below its numbers) or has ended before the reader looked at the rows.
/// Appends through <see cref="ActorStreams"/> announce themselves; anything else that appends
/// events (nothing in the product does) would not, and a reader could pass its events.
/// </remarks>
public static class LogHorizon
{
    // First key of the floor locks: "CL" in the high half, the floor's bits above 31 in the low half.
    // The second key holds the floor's low 31 bits. Good for sequences below 2^47.
    private const int FloorSpace = 0x434C0000;

    // Appenders hold this key shared, so they never wait for each other; a rebuild takes it exclusively
    // to hold every append back while it writes read models that must match the log exactly.
    private const long GateKey = 0x436C61696D53; // "ClaimS"

    private static readonly string Sequence = StorageTables.EventSequence;

    // The highest number handed out so far (a fresh sequence has handed out none: it starts at 1).
    private static readonly string LastDrawn = $"select case when is_called then last_value else last_value - 1 end as f from {Sequence}";

    private static readonly string FloorsSql =
        "select min(((classid::int8 - " + FloorSpace.ToString(CultureInfo.InvariantCulture) + ") << 31) | objid::int8) from pg_locks "
        + "where locktype = 'advisory' and objsubid = 2 and database = (select oid from pg_database where datname = current_database()) "
        + $"and classid::int8 between {FloorSpace} and {FloorSpace + 0xFFFF}";

    private static readonly string HeadSql =
        $"select coalesce(max(seq_id), 0) from {StorageTables.Events} where stream_id <> '{ActorStreams.TombstoneStream}'";

    /// <summary>
    /// The statement that announces an append: it takes the shared gate and the floor lock of the last
    /// number drawn, lets PostgreSQL end the transaction once it sits idle for
    /// <paramref name="idleTimeoutSeconds"/> (so that a frozen appender cannot hold readers back for
    /// longer), and returns one row. It must run in the append transaction before the first sequence
    /// number is drawn.
    /// </summary>
    public static string AnnounceSql(int idleTimeoutSeconds) =>
        $"select pg_advisory_xact_lock_shared({GateKey}), pg_advisory_xact_lock_shared({FloorSpace} + (f >> 31)::int4, (f & 2147483647)::int4), "
        + $"set_config('idle_in_transaction_session_timeout', '{checked(idleTimeoutSeconds * 1000).ToString(CultureInfo.InvariantCulture)}', true) "
        + $"from ({LastDrawn}) s";

    /// <summary>
    /// Announces the append transaction open on <paramref name="connection"/>: call it before the
    /// transaction draws its first sequence number.
    /// </summary>
    public static async Task AnnounceAppendAsync(NpgsqlConnection connection, int idleTimeoutSeconds, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(AnnounceSql(idleTimeoutSeconds), connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// A transaction that holds every append back until it ends: none is in flight while it runs,
    /// so the whole log it reads is final.
    /// </summary>
    public static async Task<NpgsqlTransaction> BeginExclusiveAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var command = new NpgsqlCommand($"select pg_advisory_xact_lock({GateKey})", connection, transaction);
        await command.ExecuteNonQueryAsync(cancellationToken);
        return transaction;
    }

    /// <summary>
    /// The horizon now, and the log's head (the highest sequence of an actor event committed so far).
    /// Reading the log up to the horizon, in a statement that starts after this returns, sees every event
    /// at or below it that will ever commit. The horizon is below the head while appends are in flight
    /// that drew their numbers before the head's; it passes the head once they end.
    /// </summary>
    public static async Task<(long Horizon, long Head)> ReadAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var batch = new NpgsqlBatch(connection);
        AddReadCommands(batch);
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        return await ReadResultsAsync(reader, cancellationToken);
    }

    /// <summary>
    /// Adds the statements of <see cref="ReadAsync"/> to <paramref name="batch"/>, for a caller that sends them with
    /// statements of its own in one round trip; <see cref="ReadResultsAsync"/> reads their results.
    /// </summary>
    public static void AddReadCommands(NpgsqlBatch batch)
    {
        // Three statements run in this order: the last number drawn, the floors, the head.
        batch.BatchCommands.Add(new NpgsqlBatchCommand(LastDrawn));
        batch.BatchCommands.Add(new NpgsqlBatchCommand(FloorsSql));
        batch.BatchCommands.Add(new NpgsqlBatchCommand(HeadSql));
    }

    /// <summary>The horizon and head from the results of <see cref="AddReadCommands"/>, the reader at the first of them.</summary>
    public static async Task<(long Horizon, long Head)> ReadResultsAsync(NpgsqlDataReader reader, CancellationToken cancellationToken)
    {
        await reader.ReadAsync(cancellationToken);
        var lastDrawn = reader.GetInt64(0);
        await reader.NextResultAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var floor = reader.IsDBNull(0) ? long.MaxValue : reader.GetInt64(0);
        await reader.NextResultAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return (Math.Min(lastDrawn, floor), reader.GetInt64(0));
    }

    /// <summary>
    /// The horizon once it has passed every actor event committed before this call: what a reader
    /// that must see the writes acknowledged before it (read-your-writes) may follow the log to.
    /// Appends in flight at the call hold it back until they end, normally for milliseconds.
    /// After <paramref name="maxWait"/> the horizon as it is then comes back, still safe to follow,
    /// only without the newest events; <c>Complete</c> tells which.
    /// </summary>
    public static async Task<(long Horizon, bool Complete)> ReadPastHeadAsync(
        NpgsqlConnection connection, TimeSpan maxWait, CancellationToken cancellationToken)
    {
        var (horizon, head) = await ReadAsync(connection, cancellationToken);
        if (horizon >= head)
        {
            return (horizon, true);
        }

        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (horizon < head)
        {
            if (waited.Elapsed >= maxWait)
            {
                ClaimStoreMeter.HorizonWaited(waited.Elapsed, reached: false);
                return (horizon, false);
            }

            await Task.Delay(1, cancellationToken);
            (horizon, _) = await ReadAsync(connection, cancellationToken);
        }

        ClaimStoreMeter.HorizonWaited(waited.Elapsed, reached: true);
        return (horizon, true);
    }

    /// <summary>The highest sequence of an actor event committed so far.</summary>
    public static async Task<long> HeadAsync(NpgsqlDataSource database, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand(HeadSql);
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
    }
}

using Npgsql;

namespace ClaimStore.Storage;

/// <summary>
/// Empties the store in place, for test suites that want an empty store between tests without
/// restarting their hosts (<c>POST /testing/reset</c>, off unless <c>Testing:AllowReset</c> is set).
/// </summary>
public sealed class StoreReset(NpgsqlDataSource database)
{
    private const string Schema = StorageTables.Schema;

    // Every table of ClaimStore's schema (events, streams, documents, snapshots, the search index, the read
    // side) is truncated and its sequences start again; the two checkpoints keep their rows, which their
    // followers expect, at 0. Orleans' membership lives in another schema and is untouched.
    private static readonly string EmptySql = $"""
        do $$
        declare
            tables text;
            sequence text;
        begin
            select string_agg(format('%I.%I', schemaname, tablename), ', ') into tables
            from pg_tables where schemaname = '{Schema}'
                and format('%I.%I', schemaname, tablename) not in ('{ClaimSearchIndex.CheckpointTable}', '{ReadSideTables.CheckpointTable}');
            if tables is not null then
                execute 'truncate ' || tables;
            end if;
            for sequence in select format('%I.%I', sequence_schema, sequence_name) from information_schema.sequences where sequence_schema = '{Schema}' loop
                perform setval(sequence::regclass, 1, false);
            end loop;
            update {ClaimSearchIndex.CheckpointTable} set sequence = 0;
            update {ReadSideTables.CheckpointTable} set sequence = 0;
        end $$
        """;

    /// <summary>
    /// Removes every event, stream, document, snapshot, indexed claim and read-side row, in one transaction that holds
    /// appends back (<see cref="LogHorizon.BeginExclusiveAsync"/>). The hosts' read sides must then be
    /// rewound: each follows the log from a position the emptied log no longer has.
    /// </summary>
    public async Task EmptyAsync(CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var connection = await database.OpenConnectionAsync(cancellationToken);
                await using var transaction = await LogHorizon.BeginExclusiveAsync(connection, cancellationToken);
                // The followers' tables held too: a round holds the log and takes its tables, which the truncation
                // may hold already.
                await ClaimSearchIndex.HoldIndexersAsync(connection, transaction, cancellationToken);
                await ReadSideTables.HoldProjectorsAsync(connection, transaction, cancellationToken);
                await using (var command = new NpgsqlCommand(EmptySql, connection, transaction))
                {
                    await command.ExecuteNonQueryAsync(cancellationToken);
                }

                await transaction.CommitAsync(cancellationToken);
                return;
            }
            catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.DeadlockDetected && attempt < MaxAttempts)
            {
                // A reader's statement took the tables in another order; one of the two was chosen to give way.
            }
        }
    }

    private const int MaxAttempts = 5;
}

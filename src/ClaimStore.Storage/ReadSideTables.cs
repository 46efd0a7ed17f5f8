using System.Globalization;
using System.Text;
using ClaimStore.Domain.Actors;
using ClaimStore.Domain.Claims;
using ClaimStore.Domain.Contradictions;
using ClaimStore.Domain.Propositions;
using Npgsql;

namespace ClaimStore.Storage;

/// <summary>What <c>GET /contradictions</c> filters on; every part optional.</summary>
public sealed record ContradictionFilter(string? ActorId, string? PropositionKey, ContradictionKind? Kind, ContradictionStatus? Status);

/// <summary>A proposition with at least one live claim, and who affirms and who denies it now (actor ids in ordinal order).</summary>
public sealed record PropositionStances(Proposition Proposition, IReadOnlyList<string> AffirmedBy, IReadOnlyList<string> DeniedBy);

/// <summary>A change of the contradiction list as the projector recorded it; <see cref="Id"/> orders the changes of the whole cluster.</summary>
public sealed record RecordedChange(long Id, ContradictionChange Change);

/// <summary>
/// The cross-actor read side as PostgreSQL tables beside the events (decision 0016): the live claims with what the
/// rules need of them, per proposition the actors that affirm and deny it, the contradictions, and the recent changes
/// of the contradiction list for the live feed, with a checkpoint. One projector at a time, on any host, folds the log
/// into them (<see cref="ProjectAsync"/>): per changed proposition it reads that proposition's live claims, applies
/// the domain's rules (<see cref="PropositionView.Of"/>) and writes the difference, in the transaction that moves the
/// checkpoint. No host holds the read side in memory; a host that starts answers from the tables.
/// </summary>
public sealed class ReadSideTables(NpgsqlDataSource database, ScanConnections? scans = null)
{
    // The rounds' connections; a one-off user without the host's pools (projections rebuild) uses the one it has.
    private readonly NpgsqlDataSource _rounds = scans?.Source ?? database;

    public const string ClaimsTable = StorageTables.ReadClaims;
    public const string PropositionsTable = StorageTables.ReadPropositions;
    public const string ContradictionsTable = StorageTables.ReadContradictions;
    public const string ChangesTable = StorageTables.ReadContradictionChanges;
    public const string CheckpointTable = StorageTables.ReadSideCheckpoint;

    /// <summary>Events a projector round reads at most.</summary>
    public const int BatchSize = 5000;

    /// <summary>The events the read side takes in; a reader skips the others unread.</summary>
    public static bool Reads(Type eventType) => eventType == typeof(ClaimRecorded) || eventType == typeof(ClaimRetracted);

    /// <summary>Changes of the contradiction list kept for the live feeds; older ones are deleted as new ones come.</summary>
    public const int KeptChanges = 100_000;

    // One projector at a time across the cluster: the transaction that holds this lock owns the checkpoint.
    private const long ProjectorLock = 0x436C52656164; // "ClRead"

    /// <summary>The tables' format; tables of another format are dropped and built again from the log.</summary>
    private const string Format = "claimstore read side format 2";

    // What a contradiction row holds beside its id, in the contradictions and in the changes alike.
    private const string ContradictionColumnTypes = """
        proposition_key text collate "C" not null, kind smallint not null, actor_ids text[] not null, claim_ids uuid[] not null,
        opened_ticks bigint not null, opened_offset smallint not null, resolved_ticks bigint, resolved_offset smallint
        """;

    private const string ContradictionColumns =
        "contradiction_id, proposition_key, kind, actor_ids, claim_ids, opened_ticks, opened_offset, resolved_ticks, resolved_offset";

    // Rows of contradictions written from arrays: $1 to $9 in ContradictionColumns' order, $10 the log sequence. The
    // actors and claims of a row come as array literals (unnest of a two-dimensional array would flatten it).
    private const string ContradictionParameters = "$1, $2, $3, $4, $5, $6, $7, $8, $9, $10";
    private const string ContradictionNames = "id, key, kind, actors, claims, opened, opened_offset, resolved, resolved_offset";
    private const string ContradictionValues = "id, key, kind, actors::text[], claims::uuid[], opened, opened_offset, resolved, resolved_offset";

    private const string ClaimColumns =
        "claim_id, sequence, actor_id, subject, predicate, object, stance, quantity_min, quantity_max, quantity_unit, stated_ticks, stated_offset";

    /// <summary>
    /// Creates the tables if they are missing (idempotent, safe from several hosts at once). Tables of an older
    /// format are dropped with the checkpoint, so the projectors build them again from the log. Tables in place
    /// already take no lock: a host starting does not wait for a projector's round, nor for a rebuild.
    /// </summary>
    public async Task EnsureCreatedAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        if (await SchemaCheck.InFormatAsync(
            connection, CheckpointTable, Format, [ClaimsTable, PropositionsTable, ContradictionsTable, ChangesTable, CheckpointTable], cancellationToken))
        {
            return;
        }

        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(
            $"""
            select pg_advisory_xact_lock({ProjectorLock});
            create schema if not exists {StorageTables.Schema};
            do $$ begin
                if to_regclass('{CheckpointTable}') is not null and obj_description(to_regclass('{CheckpointTable}'), 'pg_class') is distinct from '{Format}' then
                    drop table if exists {ClaimsTable}, {PropositionsTable}, {ContradictionsTable}, {ChangesTable}, {CheckpointTable};
                end if;
            end $$;
            create table if not exists {ClaimsTable} (
                claim_id uuid primary key,
                sequence bigint not null,
                actor_id text collate "C" not null,
                proposition_key text collate "C" not null,
                subject text not null,
                predicate text not null,
                object text,
                stance smallint not null,
                quantity_min numeric,
                quantity_max numeric,
                quantity_unit text,
                stated_ticks bigint not null,
                stated_offset smallint not null);
            create index if not exists read_claims_proposition on {ClaimsTable} (proposition_key);
            create table if not exists {PropositionsTable} (
                proposition_key text collate "C" primary key,
                subject text not null,
                predicate text not null,
                object text,
                affirmed_by text[] not null,
                denied_by text[] not null,
                sequence bigint not null)
                with (fillfactor = 80);
            create table if not exists {ContradictionsTable} (
                contradiction_id text collate "C" primary key,
                {ContradictionColumnTypes},
                sequence bigint not null)
                -- Room in each page for the updates a row gets as its actors restate themselves (its claim ids): they stay
                -- heap-only, writing no index entry.
                with (fillfactor = 70);
            create index if not exists read_contradictions_opened on {ContradictionsTable} (opened_ticks, contradiction_id);
            create index if not exists read_contradictions_latest on {ContradictionsTable} (opened_ticks desc, contradiction_id);
            create index if not exists read_contradictions_proposition on {ContradictionsTable} (proposition_key);
            create index if not exists read_contradictions_actors on {ContradictionsTable} using gin (actor_ids);
            create table if not exists {ChangesTable} (
                id bigint generated always as identity primary key,
                change smallint not null,
                log_sequence bigint not null,
                contradiction_id text collate "C" not null,
                {ContradictionColumnTypes});
            create table if not exists {CheckpointTable} (sequence bigint not null);
            comment on table {CheckpointTable} is '{Format}';
            insert into {CheckpointTable} (sequence) select 0 where not exists (select from {CheckpointTable});
            """, connection, transaction);
        await command.ExecuteNonQueryAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>The last sequence of the log the tables hold.</summary>
    public async Task<long> CheckpointAsync(CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand($"select sequence from {CheckpointTable}");
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// What one projector round did: the checkpoint after it, whether a full batch was read, and the log's head as the
    /// round began.
    /// </summary>
    public readonly record struct Round(long Checkpoint, bool More, long Head);

    /// <summary>
    /// One round: if no other host is projecting, folds the events after the checkpoint up to the log's horizon (at most
    /// <paramref name="batchSize"/>, read by <paramref name="read"/>) into the tables, records the contradiction changes,
    /// and moves the checkpoint, in one transaction.
    /// </summary>
    public async Task<Round> ProjectAsync(LogRead read, int batchSize, CancellationToken cancellationToken)
    {
        await using var connection = await _rounds.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        bool owner;
        long checkpoint, horizon, head;
        // One round trip: the lock, the checkpoint, and where the log may be read up to.
        await using (var start = new NpgsqlBatch(connection, transaction)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand(FollowerPlanning.CustomPlans),
                new NpgsqlBatchCommand($"select pg_try_advisory_xact_lock({ProjectorLock})"),
                new NpgsqlBatchCommand($"select sequence from {CheckpointTable}"),
            },
        })
        {
            LogHorizon.AddReadCommands(start);
            await using var reader = await start.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            owner = reader.GetBoolean(0);
            await reader.NextResultAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            checkpoint = reader.GetInt64(0);
            await reader.NextResultAsync(cancellationToken);
            (horizon, head) = await LogHorizon.ReadResultsAsync(reader, cancellationToken);
        }

        if (!owner)
        {
            return new Round(checkpoint, false, head); // another host is projecting; its commit moves the checkpoint
        }

        var events = await read(connection, transaction, checkpoint, horizon);
        if (events.Count == 0)
        {
            return new Round(checkpoint, false, head);
        }

        await ApplyAsync(connection, transaction, events, recordChanges: true, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new Round(events[^1].Sequence, events.Count >= batchSize, head);
    }

    /// <summary>
    /// Builds the tables anew from the whole log up to its horizon, in one transaction: queries see the old tables until
    /// it commits, and the projectors go on from its checkpoint. Records no changes: the contradictions are the same
    /// (their ids are names), so live feeds have nothing to tell. Returns the propositions and contradictions built.
    /// </summary>
    public async Task<(long Propositions, long Contradictions)> RebuildAsync(LogRead read, int batchSize, CancellationToken cancellationToken)
    {
        await using var connection = await _rounds.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var reset = new NpgsqlCommand(
            $"""
            {FollowerPlanning.CustomPlans};
            select pg_advisory_xact_lock({ProjectorLock});
            truncate {ClaimsTable}, {PropositionsTable}, {ContradictionsTable};
            update {CheckpointTable} set sequence = 0;
            """, connection, transaction))
        {
            await reset.ExecuteNonQueryAsync(cancellationToken);
        }

        var (horizon, _) = await LogHorizon.ReadAsync(connection, cancellationToken);
        long after = 0;
        while (true)
        {
            var events = await read(connection, transaction, after, horizon);
            if (events.Count > 0)
            {
                await ApplyAsync(connection, transaction, events, recordChanges: false, cancellationToken);
                after = events[^1].Sequence;
            }

            if (events.Count < batchSize)
            {
                break;
            }
        }

        long propositions, contradictions;
        await using (var count = new NpgsqlCommand(
            $"select (select count(*) from {PropositionsTable}), (select count(*) from {ContradictionsTable})", connection, transaction))
        await using (var reader = await count.ExecuteReaderAsync(cancellationToken))
        {
            await reader.ReadAsync(cancellationToken);
            (propositions, contradictions) = (reader.GetInt64(0), reader.GetInt64(1));
        }

        await transaction.CommitAsync(cancellationToken);
        return (propositions, contradictions);
    }

    /// <summary>Stops every projector until the caller's transaction ends (the store is being emptied under it).</summary>
    public static async Task HoldProjectorsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"select pg_advisory_xact_lock({ProjectorLock})", connection, transaction);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Folds a batch of the log into the tables: claims in and out, then each proposition they touched recomputed from
    /// its live claims and the difference written. Returns the contradiction changes found.
    /// </summary>
    private static async Task ApplyAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<(long Sequence, IActorEvent? Event)> events,
        bool recordChanges, CancellationToken cancellationToken)
    {
        // The last event of the batch that touched each proposition: the sequence its changes carry. A claim recorded
        // and retracted within the batch is never written; its proposition is touched all the same.
        var touched = new Dictionary<string, long>(StringComparer.Ordinal);
        var retractions = events.Where(e => e.Event is ClaimRetracted)
            .GroupBy(e => ((ClaimRetracted)e.Event!).ClaimId).ToDictionary(g => g.Key, g => g.Max(e => e.Sequence));
        var recorded = new List<(long Sequence, ClaimRecorded Claim)>();
        foreach (var (sequence, e) in events)
        {
            if (e is ClaimRecorded claim)
            {
                var key = claim.Claim.Proposition.Key;
                touched[key] = sequence;
                if (retractions.Remove(claim.ClaimId, out var retractedAt))
                {
                    touched[key] = retractedAt;
                }
                else
                {
                    recorded.Add((sequence, claim));
                }
            }
        }

        // The claims this round takes out (as they were) and puts in: with the live claims after it, they give the live
        // claims before it, whose contradictions are what the tables hold now (a proposition's contradictions are a pure
        // function of its live claims). Computing them costs less than reading the stored rows back.
        var removed = new Dictionary<string, List<ClaimFact>>(StringComparer.Ordinal);
        var added = new HashSet<Guid>();
        if (recorded.Count > 0 || retractions.Count > 0)
        {
            // One round trip: the retracted claims out, then the recorded ones in.
            await using var claims = new NpgsqlBatch(connection, transaction);
            if (retractions.Count > 0)
            {
                claims.BatchCommands.Add(new NpgsqlBatchCommand($"delete from {ClaimsTable} c using unnest($1::uuid[]) r(id) where c.claim_id = r.id returning {ClaimColumns}, proposition_key")
                {
                    Parameters = { new NpgsqlParameter<Guid[]> { TypedValue = [.. retractions.Keys] } },
                });
            }

            if (recorded.Count > 0)
            {
                claims.BatchCommands.Add(InsertClaims(recorded));
            }

            await using var reader = await claims.ExecuteReaderAsync(cancellationToken);
            if (retractions.Count > 0)
            {
                removed = await ReadLiveClaimsAsync(reader, cancellationToken);
                foreach (var (key, facts) in removed)
                {
                    touched[key] = Math.Max(touched.GetValueOrDefault(key), facts.Max(f => retractions[f.ClaimId]));
                }

                await reader.NextResultAsync(cancellationToken);
            }

            while (recorded.Count > 0 && await reader.ReadAsync(cancellationToken))
            {
                added.Add(reader.GetGuid(0));
            }
        }

        string[] keys = [.. touched.Keys];
        var live = keys.Length == 0 ? [] : await LiveClaimsAsync(connection, transaction, keys, cancellationToken);
        var changes = new List<ContradictionChange>();
        var views = new List<(PropositionView View, long Sequence)>();
        var gone = new List<string>();
        // In log order, so a feed sees the changes of a round as the events that caused them came.
        foreach (var (key, sequence) in touched.OrderBy(t => t.Value))
        {
            var now = live.GetValueOrDefault(key) ?? [];
            var view = now.Count > 0 ? PropositionView.Of(now) : null;
            if (view is null)
            {
                gone.Add(key);
            }
            else
            {
                views.Add((view, sequence));
            }

            var was = now.Where(c => !added.Contains(c.ClaimId)).Concat(removed.GetValueOrDefault(key) ?? []).ToList();
            changes.AddRange(ContradictionChange.Between(
                was.Count > 0 ? ContradictionDetector.Detect(key, was) : [], view?.Contradictions ?? [], sequence));
        }

        await using var batch = new NpgsqlBatch(connection, transaction);
        var withdrawn = changes.Where(c => c.Kind == ContradictionChangeKind.Withdrawn).Select(c => c.Contradiction.ContradictionId).ToArray();
        if (withdrawn.Length > 0)
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand($"delete from {ContradictionsTable} c using unnest($1::text[]) w(id) where c.contradiction_id = w.id")
            {
                Parameters = { new NpgsqlParameter<string[]> { TypedValue = withdrawn } },
            });
        }

        var kept = changes.Where(c => c.Kind != ContradictionChangeKind.Withdrawn).ToList();
        if (kept.Count > 0)
        {
            var upsert = ContradictionRows(
                $"""
                insert into {ContradictionsTable} ({ContradictionColumns}, sequence)
                select {ContradictionValues}, sequence from unnest({ContradictionParameters}) as c({ContradictionNames}, sequence)
                on conflict (contradiction_id) do update set claim_ids = excluded.claim_ids, resolved_ticks = excluded.resolved_ticks,
                    resolved_offset = excluded.resolved_offset, sequence = excluded.sequence
                """, kept);
            batch.BatchCommands.Add(upsert);
        }

        if (recordChanges && changes.Count > 0)
        {
            var insert = ContradictionRows(
                $"""
                insert into {ChangesTable} ({ContradictionColumns}, log_sequence, change)
                select {ContradictionValues}, sequence, change from unnest({ContradictionParameters}, $11) as c({ContradictionNames}, sequence, change)
                """, changes);
            insert.Parameters.Add(new NpgsqlParameter<short[]> { TypedValue = [.. changes.Select(c => (short)c.Kind)] });
            batch.BatchCommands.Add(insert);
            batch.BatchCommands.Add(new NpgsqlBatchCommand(
                $"delete from {ChangesTable} where id <= (select max(id) from {ChangesTable}) - {KeptChanges}"));
        }

        if (gone.Count > 0)
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand($"delete from {PropositionsTable} p using unnest($1::text[]) g(key) where p.proposition_key = g.key")
            {
                Parameters = { new NpgsqlParameter<string[]> { TypedValue = [.. gone] } },
            });
        }

        if (views.Count > 0)
        {
            batch.BatchCommands.Add(PropositionRows(views));
        }

        batch.BatchCommands.Add(new NpgsqlBatchCommand($"update {CheckpointTable} set sequence = $1")
        {
            Parameters = { new NpgsqlParameter<long> { TypedValue = events[^1].Sequence } },
        });
        await batch.ExecuteNonQueryAsync(cancellationToken);
    }

    private static NpgsqlBatchCommand InsertClaims(List<(long Sequence, ClaimRecorded Claim)> recorded) => new(
        $"""
        insert into {ClaimsTable} ({ClaimColumns}, proposition_key)
        select * from unnest($1, $2, $3::text[], $4::text[], $5::text[], $6::text[], $7, $8::numeric[], $9::numeric[], $10::text[], $11, $12, $13::text[])
        on conflict (claim_id) do nothing
        returning claim_id
        """)
    {
        Parameters =
        {
            new NpgsqlParameter<Guid[]> { TypedValue = [.. recorded.Select(r => r.Claim.ClaimId)] },
            new NpgsqlParameter<long[]> { TypedValue = [.. recorded.Select(r => r.Sequence)] },
            new NpgsqlParameter<string[]> { TypedValue = [.. recorded.Select(r => r.Claim.ActorId)] },
            new NpgsqlParameter<string[]> { TypedValue = [.. recorded.Select(r => r.Claim.Claim.Proposition.Subject)] },
            new NpgsqlParameter<string[]> { TypedValue = [.. recorded.Select(r => r.Claim.Claim.Proposition.Predicate)] },
            new NpgsqlParameter<string?[]> { TypedValue = [.. recorded.Select(r => r.Claim.Claim.Proposition.Object)] },
            new NpgsqlParameter<short[]> { TypedValue = [.. recorded.Select(r => (short)r.Claim.Claim.Stance)] },
            new NpgsqlParameter<decimal?[]> { TypedValue = [.. recorded.Select(r => r.Claim.Claim.Quantity?.Min)] },
            new NpgsqlParameter<decimal?[]> { TypedValue = [.. recorded.Select(r => r.Claim.Claim.Quantity?.Max)] },
            new NpgsqlParameter<string?[]> { TypedValue = [.. recorded.Select(r => r.Claim.Claim.Quantity?.Unit)] },
            new NpgsqlParameter<long[]> { TypedValue = [.. recorded.Select(r => r.Claim.Claim.StatedAt.UtcTicks)] },
            new NpgsqlParameter<short[]> { TypedValue = [.. recorded.Select(r => Offset(r.Claim.Claim.StatedAt))] },
            new NpgsqlParameter<string[]> { TypedValue = [.. recorded.Select(r => r.Claim.Claim.Proposition.Key)] },
        },
    };

    // The keys join the table instead of "= any($1)": with thousands of keys the planner chose a scan of the whole
    // table, whose cost grows with the store; one index probe per key does not.
    private const string LiveClaimsSql =
        $"select {ClaimColumns}, proposition_key from unnest($1::text[]) k(key) join {ClaimsTable} on proposition_key = k.key";

    /// <summary>The live claims of each of <paramref name="keys"/> that has any.</summary>
    private static async Task<Dictionary<string, List<ClaimFact>>> LiveClaimsAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, string[] keys, CancellationToken cancellationToken)
    {
        await using var select = new NpgsqlCommand(LiveClaimsSql, connection, transaction)
        {
            Parameters = { new NpgsqlParameter<string[]> { TypedValue = keys } },
        };
        await using var reader = await select.ExecuteReaderAsync(cancellationToken);
        return await ReadLiveClaimsAsync(reader, cancellationToken);
    }

    /// <summary>The rows of <see cref="LiveClaimsSql"/> by proposition.</summary>
    private static async Task<Dictionary<string, List<ClaimFact>>> ReadLiveClaimsAsync(NpgsqlDataReader reader, CancellationToken cancellationToken)
    {
        var live = new Dictionary<string, List<ClaimFact>>(StringComparer.Ordinal);
        var propositions = new Dictionary<string, Proposition>(StringComparer.Ordinal);
        while (await reader.ReadAsync(cancellationToken))
        {
            var key = reader.GetString(12);
            if (!propositions.TryGetValue(key, out var proposition))
            {
                propositions[key] = proposition = new Proposition(reader.GetString(3), reader.GetString(4), reader.IsDBNull(5) ? null : reader.GetString(5));
                live[key] = [];
            }

            live[key].Add(new ClaimFact(
                reader.GetGuid(0), reader.GetString(2), proposition, (Stance)reader.GetInt16(6),
                reader.IsDBNull(7) ? null : new Quantity(reader.GetDecimal(7), reader.GetDecimal(8), reader.GetString(9)),
                Instant(reader.GetInt64(10), reader.GetInt16(11)), reader.GetInt64(1)));
        }

        return live;
    }

    /// <summary>A command writing <paramref name="changes"/>' contradictions as rows, with <see cref="ContradictionParameters"/>.</summary>
    private static NpgsqlBatchCommand ContradictionRows(string sql, IReadOnlyList<ContradictionChange> changes)
    {
        var contradictions = changes.Select(c => c.Contradiction).ToList();
        return new NpgsqlBatchCommand(sql)
        {
            Parameters =
            {
                new NpgsqlParameter<string[]> { TypedValue = [.. contradictions.Select(c => c.ContradictionId)] },
                new NpgsqlParameter<string[]> { TypedValue = [.. contradictions.Select(c => c.PropositionKey)] },
                new NpgsqlParameter<short[]> { TypedValue = [.. contradictions.Select(c => (short)c.Kind)] },
                new NpgsqlParameter<string[]> { TypedValue = [.. contradictions.Select(c => ArrayLiteral(c.ActorIds))] },
                new NpgsqlParameter<string[]> { TypedValue = [.. contradictions.Select(c => ArrayLiteral(c.ClaimIds.Select(id => id.ToString())))] },
                new NpgsqlParameter<long[]> { TypedValue = [.. contradictions.Select(c => c.OpenedAt.UtcTicks)] },
                new NpgsqlParameter<short[]> { TypedValue = [.. contradictions.Select(c => Offset(c.OpenedAt))] },
                new NpgsqlParameter<long?[]> { TypedValue = [.. contradictions.Select(c => c.ResolvedAt?.UtcTicks)] },
                new NpgsqlParameter<short?[]> { TypedValue = [.. contradictions.Select(c => c.ResolvedAt is { } at ? Offset(at) : (short?)null)] },
                new NpgsqlParameter<long[]> { TypedValue = [.. changes.Select(c => c.Sequence)] },
            },
        };
    }

    private static NpgsqlBatchCommand PropositionRows(List<(PropositionView View, long Sequence)> views) => new(
        $"""
        insert into {PropositionsTable} (proposition_key, subject, predicate, object, affirmed_by, denied_by, sequence)
        select key, subject, predicate, object, affirmed::text[], denied::text[], sequence
        from unnest($1, $2, $3, $4::text[], $5::text[], $6::text[], $7) as p(key, subject, predicate, object, affirmed, denied, sequence)
        on conflict (proposition_key) do update set affirmed_by = excluded.affirmed_by, denied_by = excluded.denied_by, sequence = excluded.sequence
        """)
    {
        Parameters =
        {
            new NpgsqlParameter<string[]> { TypedValue = [.. views.Select(v => v.View.Key)] },
            new NpgsqlParameter<string[]> { TypedValue = [.. views.Select(v => v.View.Proposition.Subject)] },
            new NpgsqlParameter<string[]> { TypedValue = [.. views.Select(v => v.View.Proposition.Predicate)] },
            new NpgsqlParameter<string?[]> { TypedValue = [.. views.Select(v => v.View.Proposition.Object)] },
            new NpgsqlParameter<string[]> { TypedValue = [.. views.Select(v => ArrayLiteral(ActorsWith(v.View, Stance.Affirms)))] },
            new NpgsqlParameter<string[]> { TypedValue = [.. views.Select(v => ArrayLiteral(ActorsWith(v.View, Stance.Denies)))] },
            new NpgsqlParameter<long[]> { TypedValue = [.. views.Select(v => v.Sequence)] },
        },
    };

    // Stances are sorted by actor id, so these lists are too.
    private static IEnumerable<string> ActorsWith(PropositionView view, Stance stance) =>
        view.Stances.Where(s => s.Stance == stance).Select(s => s.ActorId);

    /// <summary>PostgreSQL's array literal of <paramref name="items"/>, every item quoted.</summary>
    private static string ArrayLiteral(IEnumerable<string> items)
    {
        var literal = new StringBuilder("{");
        foreach (var item in items)
        {
            literal.Append(literal.Length > 1 ? ",\"" : "\"").Append(item.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)).Append('"');
        }

        return literal.Append('}').ToString();
    }

    // ---- queries ----------------------------------------------------------------------------------------------------

    /// <summary>The contradictions that pass <paramref name="filter"/>, by <c>openedAt</c> then id, as PostgreSQL sends them.</summary>
    public async IAsyncEnumerable<Contradiction> ContradictionsAsync(
        ContradictionFilter filter, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand();
        command.CommandText = $"select {ContradictionColumns} from {ContradictionsTable}{Where(filter, command.Parameters)} order by opened_ticks, contradiction_id";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            yield return ReadContradiction(reader, 0);
        }
    }

    /// <summary>How many contradictions pass <paramref name="filter"/>, and the page of them latest opened first (ties by id).</summary>
    public async Task<(long Total, List<Contradiction> Page)> LatestContradictionsAsync(
        ContradictionFilter filter, int skip, int take, CancellationToken cancellationToken)
    {
        await using var batch = database.CreateBatch();
        var count = new NpgsqlBatchCommand();
        count.CommandText = $"select count(*) from {ContradictionsTable}{Where(filter, count.Parameters)}";
        var select = new NpgsqlBatchCommand();
        select.CommandText = $"""
            select {ContradictionColumns} from {ContradictionsTable}{Where(filter, select.Parameters)}
            order by opened_ticks desc, contradiction_id offset {skip} limit {take}
            """;
        batch.BatchCommands.Add(count);
        batch.BatchCommands.Add(select);
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var total = reader.GetInt64(0);
        await reader.NextResultAsync(cancellationToken);
        var page = new List<Contradiction>(take);
        while (await reader.ReadAsync(cancellationToken))
        {
            page.Add(ReadContradiction(reader, 0));
        }

        return (total, page);
    }

    /// <summary>Every proposition with a live claim, in ordinal key order, as PostgreSQL sends them.</summary>
    public async IAsyncEnumerable<PropositionStances> PropositionsAsync(
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand(
            $"select subject, predicate, object, affirmed_by, denied_by from {PropositionsTable} order by proposition_key");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            yield return new PropositionStances(
                new Proposition(reader.GetString(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2)),
                reader.GetFieldValue<string[]>(3), reader.GetFieldValue<string[]>(4));
        }
    }

    /// <summary>One proposition's stances and contradictions from its live claims; null when it has none.</summary>
    public async Task<PropositionView?> PropositionAsync(string key, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var live = await LiveClaimsAsync(connection, null, [key], cancellationToken);
        return live.TryGetValue(key, out var claims) ? PropositionView.Of(claims) : null;
    }

    /// <summary>The id of the latest recorded change (0 when none): a feed that starts now follows the ones after it.</summary>
    public async Task<long> LastChangeAsync(CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand($"select coalesce(max(id), 0) from {ChangesTable}");
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
    }

    /// <summary>Up to <paramref name="limit"/> changes after <paramref name="after"/>, in the order they were recorded.</summary>
    public async Task<List<RecordedChange>> ChangesAfterAsync(long after, int limit, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand(
            $"select {ContradictionColumns}, id, change, log_sequence from {ChangesTable} where id > $1 order by id limit $2");
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = after });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var changes = new List<RecordedChange>();
        while (await reader.ReadAsync(cancellationToken))
        {
            changes.Add(new RecordedChange(
                reader.GetInt64(9),
                new ContradictionChange((ContradictionChangeKind)reader.GetInt16(10), reader.GetInt64(11), ReadContradiction(reader, 0))));
        }

        return changes;
    }

    /// <summary>The filter as a <c>where</c> clause, its values added to <paramref name="parameters"/>.</summary>
    private static string Where(ContradictionFilter filter, NpgsqlParameterCollection parameters)
    {
        // Only the filters given become conditions, so each combination gets a plan that uses its index.
        var conditions = new List<string>();
        if (filter.ActorId is { } actor)
        {
            parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [actor] });
            conditions.Add($"actor_ids @> ${parameters.Count}::text[]");
        }

        if (filter.PropositionKey is { } key)
        {
            parameters.Add(new NpgsqlParameter<string> { TypedValue = key });
            conditions.Add($"proposition_key = ${parameters.Count}");
        }

        if (filter.Kind is { } kind)
        {
            parameters.Add(new NpgsqlParameter<short> { TypedValue = (short)kind });
            conditions.Add($"kind = ${parameters.Count}");
        }

        if (filter.Status is { } status)
        {
            conditions.Add(status == ContradictionStatus.Open ? "resolved_ticks is null" : "resolved_ticks is not null");
        }

        return conditions.Count == 0 ? "" : " where " + string.Join(" and ", conditions);
    }

    private static Contradiction ReadContradiction(NpgsqlDataReader reader, int first) => new(
        reader.GetString(first),
        (ContradictionKind)reader.GetInt16(first + 2),
        reader.GetString(first + 1),
        [.. reader.GetFieldValue<string[]>(first + 3)],
        [.. reader.GetFieldValue<Guid[]>(first + 4)],
        Instant(reader.GetInt64(first + 5), reader.GetInt16(first + 6)),
        reader.IsDBNull(first + 7) ? null : Instant(reader.GetInt64(first + 7), reader.GetInt16(first + 8)));

    // Instants are kept as UTC ticks and the offset in minutes: timestamptz would drop both the offset and the last digit.
    private static short Offset(DateTimeOffset instant) => (short)instant.Offset.TotalMinutes;

    private static DateTimeOffset Instant(long utcTicks, short offsetMinutes)
    {
        var offset = TimeSpan.FromMinutes(offsetMinutes);
        return new DateTimeOffset(utcTicks + offset.Ticks, offset);
    }
}

/// <summary>Reads the log for a projector: events after a sequence up to a horizon, on the projector's connection and transaction.</summary>
public delegate Task<IReadOnlyList<(long Sequence, IActorEvent? Event)>> LogRead(
    NpgsqlConnection connection, NpgsqlTransaction transaction, long after, long upTo);

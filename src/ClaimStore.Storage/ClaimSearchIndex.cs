using System.Globalization;
using System.Text;
using ClaimStore.Domain.Actors;
using ClaimStore.Domain.Claims;
using ClaimStore.Domain.Contradictions;
using Marten;
using Npgsql;
using NpgsqlTypes;

namespace ClaimStore.Storage;

/// <summary>What <c>GET /claims</c> filters on; every part optional.</summary>
public sealed record ClaimSearchFilter(
    string? Words, string? ActorId, string? PropositionKey, string? Language,
    DateTimeOffset? StatedFrom, DateTimeOffset? StatedTo, bool IncludeRetracted);

/// <summary>Where a page of search results starts: after this claim in (statedAt descending, claimId) order.</summary>
public readonly record struct ClaimSearchPosition(DateTimeOffset StatedAt, Guid ClaimId);

/// <summary>A claim of a proposition as the log held it at some point, and the sequence of its retraction, if it has one.</summary>
public sealed record PropositionClaim(ClaimFact Claim, long? RetractedAtSequence)
{
    /// <summary>Whether the claim was recorded and not yet retracted once the log reached <paramref name="sequence"/>.</summary>
    public bool IsLiveAt(long sequence) => Claim.Sequence <= sequence && !(RetractedAtSequence <= sequence);
}

/// <summary>
/// The claim search index: one row per claim in PostgreSQL, beside the events, with a <c>tsvector</c> of
/// its quote and source title made with the text search configuration of the claim's language. It is
/// derived data, kept by following the log (<see cref="IndexAsync"/>) and rebuilt from it; the claims
/// themselves are read from the events at query time (claim id = event id).
/// </summary>
public sealed class ClaimSearchIndex(NpgsqlDataSource database, IDocumentStore store, ScanConnections? scans = null)
{
    // Rounds and searches; a one-off user without the host's pools (projections rebuild) uses the one it has.
    private readonly NpgsqlDataSource _scans = scans?.Source ?? database;
    private readonly SearchWordFrequencies _frequencies = new(scans?.Source ?? database);

    public const string Table = StorageTables.ClaimSearch;
    public const string CheckpointTable = StorageTables.ClaimSearchCheckpoint;

    // The configurations in use, each with its code, written with the documents made with it. A search asks only
    // for those: GIN can skip through the posting lists of one conjunction of words, not of an OR of all fifteen.
    public const string ConfigurationsTable = StorageTables.ClaimSearchConfigurations;

    /// <summary>Events an indexer round reads at most.</summary>
    public const int BatchSize = 5000;

    /// <summary>The events the index takes in; a reader skips the others unread.</summary>
    public static bool Reads(Type eventType) => eventType == typeof(ClaimRecorded) || eventType == typeof(ClaimRetracted);

    // One indexer at a time across the cluster: the transaction that holds this lock owns the checkpoint.
    private const long IndexerLock = 0x436C53656172; // "ClSear"

    // A row's document from c.text in configuration c.config. Each lexeme is qualified by the configuration's
    // code ("de:drohn"), so one tsquery can ask every language at once and still match a claim only with the
    // inflections of its own language.
    private const string Document =
        "array_to_tsvector(array(select c.code || ':' || l from unnest(tsvector_to_array(to_tsvector(c.config::regconfig, c.text))) l))";

    /// <summary>
    /// PostgreSQL's text search configurations by a language tag's primary subtag; any other language, or none,
    /// is matched word for word (<c>simple</c>). The tag is also the code that qualifies the configuration's lexemes.
    /// </summary>
    private static readonly Dictionary<string, string> Configurations = new(StringComparer.OrdinalIgnoreCase)
    {
        ["de"] = "german", ["en"] = "english", ["fr"] = "french", ["ru"] = "russian", ["es"] = "spanish",
        ["it"] = "italian", ["pt"] = "portuguese", ["nl"] = "dutch", ["sv"] = "swedish", ["da"] = "danish",
        ["no"] = "norwegian", ["fi"] = "finnish", ["hu"] = "hungarian", ["tr"] = "turkish",
    };

    private static readonly Dictionary<string, string> RegionalTags = new(StringComparer.OrdinalIgnoreCase) { ["nb"] = "no", ["nn"] = "no" };

    private const string Simple = "simple";
    private const string SimpleCode = "_";

    /// <summary>
    /// Rows a search reads newest first before it asks the GIN index instead (see <see cref="SearchAsync"/>).
    /// Common words fill a page within these rows; rarer ones cost less to collect from the index than to scan for.
    /// </summary>
    public const int DefaultScanRows = 5_000;

    /// <summary>The format of the table's rows; a table of another format is dropped and built again from the log.</summary>
    private const string Format = "claimstore claim_search format 2: lexemes qualified by their configuration";

    private readonly Marten.ISerializer _serializer = store.Options.Serializer();

    /// <summary>The text search configuration for a claim in <paramref name="language"/> (a BCP 47 tag, or null), and its code.</summary>
    public static (string Configuration, string Code) ConfigurationFor(string? language)
    {
        if (language is null)
        {
            return (Simple, SimpleCode);
        }

        var dash = language.IndexOf('-', StringComparison.Ordinal);
        var primary = dash < 0 ? language : language[..dash];
        primary = RegionalTags.GetValueOrDefault(primary, primary).ToLowerInvariant();
        return Configurations.TryGetValue(primary, out var configuration) ? (configuration, primary) : (Simple, SimpleCode);
    }

    /// <summary>
    /// Creates the tables and indexes if they are missing (idempotent, safe from several hosts at once). A table
    /// of an older format is dropped with its checkpoint, so the hosts' indexers build it again from the log. Tables
    /// in place already take no lock: a host starting does not wait for an indexer's round, nor for a rebuild.
    /// </summary>
    public async Task EnsureCreatedAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        if (await SchemaCheck.InFormatAsync(connection, Table, Format, [Table, CheckpointTable, ConfigurationsTable], cancellationToken))
        {
            return;
        }

        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(
            $"""
            select pg_advisory_xact_lock({IndexerLock});
            create schema if not exists {StorageTables.Schema};
            create table if not exists {CheckpointTable} (name text primary key, sequence bigint not null);
            do $$ begin
                if to_regclass('{Table}') is not null and obj_description(to_regclass('{Table}'), 'pg_class') is distinct from '{Format}' then
                    drop table {Table};
                    delete from {CheckpointTable} where name = 'claims';
                end if;
            end $$;
            create table if not exists {Table} (
                claim_id uuid primary key,
                sequence bigint not null,
                actor_id text not null,
                proposition_key text not null,
                language text,
                stated_at timestamptz not null,
                retracted_at timestamptz,
                retraction_reason text,
                document tsvector not null);
            comment on table {Table} is '{Format}';
            create index if not exists claim_search_stated_at on {Table} (stated_at desc, claim_id);
            create index if not exists claim_search_actor on {Table} (actor_id, stated_at desc, claim_id);
            create index if not exists claim_search_proposition on {Table} (proposition_key, stated_at desc, claim_id);
            create index if not exists claim_search_document on {Table} using gin (document);
            insert into {CheckpointTable} (name, sequence) values ('claims', 0) on conflict (name) do nothing;
            create table if not exists {ConfigurationsTable} (code text primary key, configuration text not null);
            """, connection, transaction);
        await command.ExecuteNonQueryAsync(cancellationToken);

        // An index written before the configurations were kept: they follow from the languages it holds.
        var languages = new List<string?>();
        await using (var stored = new NpgsqlCommand(
            $"select distinct language from {Table} where not exists (select from {ConfigurationsTable})", connection, transaction))
        await using (var reader = await stored.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                languages.Add(reader.IsDBNull(0) ? null : reader.GetString(0));
            }
        }

        if (languages.Count > 0)
        {
            await using var batch = new NpgsqlBatch(connection, transaction);
            AddConfigurations(batch, [.. languages.Select(ConfigurationFor)]);
            await batch.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>Records that documents were made with <paramref name="configurations"/>, in the caller's batch.</summary>
    private static void AddConfigurations(NpgsqlBatch batch, IReadOnlyCollection<(string Configuration, string Code)> configurations)
    {
        var distinct = configurations.Distinct().ToArray();
        batch.BatchCommands.Add(new NpgsqlBatchCommand(
            $"insert into {ConfigurationsTable} (code, configuration) select * from unnest($1::text[], $2::text[]) on conflict (code) do nothing")
        {
            Parameters =
            {
                new NpgsqlParameter<string[]> { TypedValue = [.. distinct.Select(c => c.Code)] },
                new NpgsqlParameter<string[]> { TypedValue = [.. distinct.Select(c => c.Configuration)] },
            },
        });
    }

    /// <summary>The last sequence of the log the index has taken in.</summary>
    public async Task<long> CheckpointAsync(CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand($"select sequence from {CheckpointTable} where name = 'claims'");
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// One round of indexing: if no other host is indexing, takes the events after the checkpoint up to the
    /// log's horizon (at most <paramref name="batchSize"/>, read by <paramref name="read"/>) into the index and
    /// moves the checkpoint, in one transaction. Returns the checkpoint after the round, and whether it read a
    /// full batch (more may be waiting).
    /// </summary>
    public async Task<(long Checkpoint, bool More)> IndexAsync(
        LogRead read,
        int batchSize, CancellationToken cancellationToken)
    {
        await using var connection = await _scans.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        bool owner;
        long checkpoint;
        await using (var claim = new NpgsqlCommand(
            $"{FollowerPlanning.CustomPlans}; select pg_try_advisory_xact_lock({IndexerLock}); select sequence from {CheckpointTable} where name = 'claims'", connection, transaction))
        await using (var reader = await claim.ExecuteReaderAsync(cancellationToken))
        {
            await reader.ReadAsync(cancellationToken);
            owner = reader.GetBoolean(0);
            await reader.NextResultAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            checkpoint = reader.GetInt64(0);
        }

        if (!owner)
        {
            return (checkpoint, false); // another host is indexing; its commit moves the checkpoint
        }

        var (horizon, _) = await LogHorizon.ReadAsync(connection, cancellationToken);
        var events = await read(connection, transaction, checkpoint, horizon);
        if (events.Count == 0)
        {
            return (checkpoint, false);
        }

        await WriteAsync(connection, transaction, events, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return (events[^1].Sequence, events.Count >= batchSize);
    }

    /// <summary>
    /// Builds the index anew from the whole log up to its horizon, in one transaction: searches see the old
    /// index until it commits, and the hosts' indexers go on from its checkpoint. Returns the claims indexed.
    /// </summary>
    public async Task<long> RebuildAsync(
        LogRead read,
        int batchSize, CancellationToken cancellationToken)
    {
        await using var connection = await _scans.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var reset = new NpgsqlCommand(
            $"{FollowerPlanning.CustomPlans}; select pg_advisory_xact_lock({IndexerLock}); truncate {Table}, {ConfigurationsTable}; update {CheckpointTable} set sequence = 0 where name = 'claims'",
            connection, transaction))
        {
            await reset.ExecuteNonQueryAsync(cancellationToken);
        }

        var (horizon, _) = await LogHorizon.ReadAsync(connection, cancellationToken);
        long after = 0, claims = 0;
        while (true)
        {
            var events = await read(connection, transaction, after, horizon);
            if (events.Count > 0)
            {
                await WriteAsync(connection, transaction, events, cancellationToken);
                after = events[^1].Sequence;
                claims += events.Count(e => e.Event is ClaimRecorded);
            }

            if (events.Count < batchSize)
            {
                break;
            }
        }

        await transaction.CommitAsync(cancellationToken);
        return claims;
    }

    /// <summary>Takes a batch of the log into the index and moves the checkpoint past it.</summary>
    private static async Task WriteAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<(long Sequence, IActorEvent? Event)> events,
        CancellationToken cancellationToken)
    {
        await using var batch = new NpgsqlBatch(connection, transaction);
        AddClaims(batch, [.. events.Where(e => e.Event is ClaimRecorded).Select(e => (e.Sequence, (ClaimRecorded)e.Event!))]);
        AddRetractions(batch, [.. events.Select(e => e.Event).OfType<ClaimRetracted>()]);
        batch.BatchCommands.Add(new NpgsqlBatchCommand($"update {CheckpointTable} set sequence = $1 where name = 'claims'")
        {
            Parameters = { new NpgsqlParameter<long> { TypedValue = events[^1].Sequence } },
        });
        await batch.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Stops every indexer until the caller's transaction ends, and returns the checkpoint: events up to it are
    /// in the index, later ones will be read from the store after the transaction.
    /// </summary>
    public static async Task<long> HoldIndexersAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            $"select pg_advisory_xact_lock({IndexerLock}); select sequence from {CheckpointTable} where name = 'claims'", connection, transaction);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.NextResultAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? reader.GetInt64(0) : 0;
    }

    /// <summary>
    /// Indexes the rewritten text of events the index holds already (sequence at or below <paramref name="checkpoint"/>),
    /// inside the caller's transaction, which holds the indexers (<see cref="HoldIndexersAsync"/>).
    /// </summary>
    public static async Task ReindexAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<(long Sequence, IActorEvent Event)> rewritten,
        long checkpoint, CancellationToken cancellationToken)
    {
        var indexed = rewritten.Where(e => e.Sequence <= checkpoint).ToList();
        var claims = indexed.Select(e => e.Event).OfType<ClaimRecorded>().ToList();
        var retractions = indexed.Select(e => e.Event).OfType<ClaimRetracted>().ToList();
        await using var batch = new NpgsqlBatch(connection, transaction);
        if (claims.Count > 0)
        {
            var configurations = claims.Select(c => ConfigurationFor(c.Claim.Language)).ToArray();
            batch.BatchCommands.Add(new NpgsqlBatchCommand(
                $"""
                update {Table} s set document =
                    {Document}
                from unnest($1, $2, $3, $4) as c(id, config, code, text)
                where s.claim_id = c.id
                """)
            {
                Parameters =
                {
                    new NpgsqlParameter<Guid[]> { TypedValue = [.. claims.Select(c => c.ClaimId)] },
                    new NpgsqlParameter<string[]> { TypedValue = [.. configurations.Select(c => c.Configuration)] },
                    new NpgsqlParameter<string[]> { TypedValue = [.. configurations.Select(c => c.Code)] },
                    new NpgsqlParameter<string[]> { TypedValue = [.. claims.Select(c => IndexedText(c.Claim))] },
                },
            });
        }

        if (retractions.Count > 0)
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand(
                $"update {Table} s set retraction_reason = r.reason from unnest($1, $2) as r(id, reason) where s.claim_id = r.id")
            {
                Parameters =
                {
                    new NpgsqlParameter<Guid[]> { TypedValue = [.. retractions.Select(r => r.ClaimId)] },
                    new NpgsqlParameter<string?[]> { TypedValue = [.. retractions.Select(r => r.Reason)] },
                },
            });
        }

        if (batch.BatchCommands.Count > 0)
        {
            await batch.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    /// <summary>
    /// Up to <paramref name="limit"/> claims matching <paramref name="filter"/> after <paramref name="after"/>, in
    /// (statedAt descending, claimId) order.
    /// </summary>
    /// <remarks>
    /// GIN cannot hand out its matches in time order, so a search takes one of two ways. First it reads the rows
    /// that pass the other filters newest first, up to <paramref name="scanRows"/>, and tests the words on each:
    /// that fills a page of common words quickly, and a narrow filter (one actor, one proposition) is read to its
    /// end. Only when the rows run beyond that without a full page, so that the words are rare, does it collect
    /// every match from the GIN index and sort them, which costs a heap read per match. Without a narrow filter,
    /// the words' frequencies set how far the first way goes, or skip it (<see cref="SearchWordFrequencies.RowsToScan"/>).
    /// </remarks>
    public async Task<IReadOnlyList<RecordedClaim>> SearchAsync(
        ClaimSearchFilter filter, ClaimSearchPosition? after, int limit, CancellationToken cancellationToken,
        int scanRows = DefaultScanRows)
    {
        scanRows = Math.Max(scanRows, limit);
        if (filter is { Words: { } words, ActorId: null, PropositionKey: null })
        {
            scanRows = SearchWordFrequencies.RowsToScan(await _frequencies.ExpectedShareAsync(words, cancellationToken), limit, scanRows);
        }

        if (scanRows > 0)
        {
            await using var newest = Command(filter, after, limit, scanRows, index: false);
            var (claims, stoppedShort) = await ReadAsync(newest, scanRows, cancellationToken);
            if (claims.Count >= limit || !stoppedShort)
            {
                return claims;
            }
        }

        await using var indexed = Command(filter, after, limit, scanRows, index: true);
        return (await ReadAsync(indexed, scanRows, cancellationToken)).Claims;
    }

    /// <summary>
    /// The claims recorded up to <paramref name="sequence"/> on the proposition of claim <paramref name="claimId"/>,
    /// with the sequence of each one's retraction, through the proposition's index: what a replay step needs to
    /// tell which claims on that proposition were live then, at a cost that grows with the proposition, not the log.
    /// Empty when the index does not hold the claim.
    /// </summary>
    public async Task<IReadOnlyList<PropositionClaim>> ClaimsOfPropositionUpToAsync(Guid claimId, long sequence, CancellationToken cancellationToken)
    {
        var events = StorageTables.Events;
        var claims = new List<(ClaimFact Claim, bool Retracted)>();
        await using (var command = _scans.CreateCommand(
            $"""
            select s.sequence, s.retracted_at is not null, e.data
            from {Table} s join {events} e on e.id = s.claim_id
            where s.proposition_key = (select proposition_key from {Table} where claim_id = $1) and s.sequence <= $2
            """))
        {
            command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = claimId });
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = sequence });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var recorded = (ClaimRecorded)_serializer.FromJson(typeof(ClaimRecorded), reader, 2);
                var claim = recorded.Claim;
                claims.Add((new ClaimFact(recorded.ClaimId, recorded.ActorId, claim.Proposition, claim.Stance, claim.Quantity, claim.StatedAt, reader.GetInt64(0)),
                    reader.GetBoolean(1)));
            }
        }

        // The row keeps when a claim was retracted, not where in the log: a retraction's event id is derived from its claim's.
        var retractions = claims.Where(c => c.Retracted).ToDictionary(c => ActorStreams.RetractionIdOf(c.Claim.ClaimId), c => c.Claim.ClaimId);
        var retractedAt = new Dictionary<Guid, long>();
        if (retractions.Count > 0)
        {
            await using var command = _scans.CreateCommand($"select id, seq_id from {events} where id = any($1)");
            command.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = [.. retractions.Keys] });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                retractedAt[retractions[reader.GetGuid(0)]] = reader.GetInt64(1);
            }
        }

        return [.. claims.Select(c => new PropositionClaim(c.Claim, retractedAt.TryGetValue(c.Claim.ClaimId, out var at) ? at : null))];
    }

    private NpgsqlCommand Command(ClaimSearchFilter filter, ClaimSearchPosition? after, int limit, int scanRows, bool index)
    {
        var command = _scans.CreateCommand();
        string Parameter(object value, NpgsqlDbType type)
        {
            var name = $"p{command.Parameters.Count}";
            command.Parameters.Add(new NpgsqlParameter(name, type) { Value = value });
            return "@" + name;
        }

        var where = new StringBuilder("true");
        void Condition(Func<string, string> condition, object value, NpgsqlDbType type) =>
            where.Append(" and ").Append(condition(Parameter(value, type)));

        if (filter.ActorId is { } actor)
        {
            Condition(p => $"s.actor_id = {p}", actor, NpgsqlDbType.Text);
        }

        if (filter.PropositionKey is { } key)
        {
            Condition(p => $"s.proposition_key = {p}", key, NpgsqlDbType.Text);
        }

        if (filter.Language is { } language)
        {
            // A primary tag ("de") takes in its regional variants ("de-at"); a full tag only itself.
            Condition(p => $"(s.language = {p} or s.language like {p} || '-%')", language.ToLowerInvariant(), NpgsqlDbType.Text);
        }

        if (filter.StatedFrom is { } from)
        {
            Condition(p => $"s.stated_at >= {p}", from, NpgsqlDbType.TimestampTz);
        }

        if (filter.StatedTo is { } to)
        {
            Condition(p => $"s.stated_at <= {p}", to, NpgsqlDbType.TimestampTz);
        }

        if (!filter.IncludeRetracted)
        {
            where.Append(" and s.retracted_at is null");
        }

        if (after is { } position)
        {
            var (at, id) = (Parameter(position.StatedAt, NpgsqlDbType.TimestampTz), Parameter(position.ClaimId, NpgsqlDbType.Uuid));
            where.Append($" and (s.stated_at < {at} or (s.stated_at = {at} and s.claim_id > {id}))");
        }

        var matches = filter.Words is { } words ? $"s.document @@ {Query(Parameter(words, NpgsqlDbType.Text))}" : "true";
        var events = StorageTables.Events;
        var (rows, page) = (scanRows.ToString(CultureInfo.InvariantCulture), limit.ToString(CultureInfo.InvariantCulture));
        command.CommandText = index
            // Materialized, so the planner collects the matches from the GIN index rather than walking the time order.
            ? $"""
              with matches as materialized (
                  select s.claim_id, s.stated_at, s.retracted_at, s.retraction_reason from {Table} s where {where} and {matches}),
              page as (select * from matches order by stated_at desc, claim_id limit {page})
              select p.claim_id, e.version, e.data, p.retracted_at, p.retraction_reason, true, 0::bigint
              from page p join {events} e on e.id = p.claim_id
              order by p.stated_at desc, p.claim_id
              """
            // The row numbered scanRows comes back even when it does not match: it says the scan stopped short.
            : $"""
              with newest as (
                  select s.claim_id, s.stated_at, s.retracted_at, s.retraction_reason, {matches} as hit,
                         row_number() over (order by s.stated_at desc, s.claim_id) as n
                  from (select * from {Table} s where {where} order by s.stated_at desc, s.claim_id limit {rows}) s),
              found as (select * from newest where hit or n = {rows} limit {page})
              select f.claim_id, e.version, e.data, f.retracted_at, f.retraction_reason, f.hit, f.n
              from found f left join {events} e on f.hit and e.id = f.claim_id
              order by f.stated_at desc, f.claim_id
              """;
        return command;
    }

    /// <summary>
    /// The tsquery of <paramref name="words"/> (a parameter) in every configuration the index has documents of, each
    /// conjunction qualified by its code: a claim matches when it holds all the words as its own language inflects them.
    /// </summary>
    private static string Query(string words) =>
        $"""
        (select coalesce(string_agg(q.conjunction, ' | '), '')::tsquery from (
            select '(' || string_agg({QuotedLexeme}, ' & ') || ')' as conjunction
            from {ConfigurationsTable} c,
                unnest(tsvector_to_array(to_tsvector(c.configuration::regconfig, {words}))) l
            group by c.code) q)
        """;

    // tsquery syntax: a lexeme in single quotes, with quotes doubled and backslashes escaped.
    private const string QuotedLexeme = """'''' || replace(replace(c.code || ':' || l, '\', '\\'), '''', '''''') || ''''""";

    /// <summary>
    /// The claims a search command found, and whether it read the row numbered <paramref name="scanRows"/> of the
    /// newest ones (so that older rows may match too).
    /// </summary>
    private async Task<(List<RecordedClaim> Claims, bool StoppedShort)> ReadAsync(NpgsqlCommand command, int scanRows, CancellationToken cancellationToken)
    {
        var claims = new List<RecordedClaim>();
        var stoppedShort = false;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            stoppedShort |= reader.GetInt64(6) == scanRows;

            if (!reader.GetBoolean(5))
            {
                continue;
            }

            var recorded = (ClaimRecorded)_serializer.FromJson(typeof(ClaimRecorded), reader, 2);
            var retraction = reader.IsDBNull(3)
                ? null
                : new Retraction(reader.IsDBNull(4) ? null : reader.GetString(4), reader.GetFieldValue<DateTimeOffset>(3));
            claims.Add(new RecordedClaim(recorded.ClaimId, recorded.ActorId, recorded.Claim, reader.GetInt64(1), recorded.RecordedAt, retraction));
        }

        return (claims, stoppedShort);
    }

    private static void AddClaims(NpgsqlBatch batch, List<(long Sequence, ClaimRecorded Claim)> claims)
    {
        if (claims.Count == 0)
        {
            return;
        }

        var configurations = claims.Select(c => ConfigurationFor(c.Claim.Claim.Language)).ToArray();
        AddConfigurations(batch, configurations);
        batch.BatchCommands.Add(new NpgsqlBatchCommand(
            $"""
            insert into {Table} (claim_id, sequence, actor_id, proposition_key, language, stated_at, document)
            select c.id, c.seq, c.actor, c.key, c.language, c.stated,
                {Document}
            from unnest($1, $2, $3, $4, $5, $6, $7, $8, $9) as c(id, seq, actor, key, language, config, code, stated, text)
            on conflict (claim_id) do nothing
            """)
        {
            Parameters =
            {
                new NpgsqlParameter<Guid[]> { TypedValue = [.. claims.Select(c => c.Claim.ClaimId)] },
                new NpgsqlParameter<long[]> { TypedValue = [.. claims.Select(c => c.Sequence)] },
                new NpgsqlParameter<string[]> { TypedValue = [.. claims.Select(c => c.Claim.ActorId)] },
                new NpgsqlParameter<string[]> { TypedValue = [.. claims.Select(c => c.Claim.Claim.Proposition.Key)] },
                new NpgsqlParameter<string?[]> { TypedValue = [.. claims.Select(c => c.Claim.Claim.Language?.ToLowerInvariant())] },
                new NpgsqlParameter<string[]> { TypedValue = [.. configurations.Select(c => c.Configuration)] },
                new NpgsqlParameter<string[]> { TypedValue = [.. configurations.Select(c => c.Code)] },
                new NpgsqlParameter<DateTimeOffset[]> { TypedValue = [.. claims.Select(c => c.Claim.Claim.StatedAt.ToUniversalTime())] },
                new NpgsqlParameter<string[]> { TypedValue = [.. claims.Select(c => IndexedText(c.Claim.Claim))] },
            },
        });
    }

    /// <summary>What a claim is found by: its quote and its source's title.</summary>
    private static string IndexedText(ClaimContent claim) => $"{claim.Quote} {claim.Source?.Title}";

    private static void AddRetractions(NpgsqlBatch batch, List<ClaimRetracted> retractions)
    {
        if (retractions.Count == 0)
        {
            return;
        }

        batch.BatchCommands.Add(new NpgsqlBatchCommand(
            $"""
            update {Table} s set retracted_at = r.at, retraction_reason = r.reason
            from unnest($1, $2, $3) as r(id, at, reason)
            where s.claim_id = r.id and s.retracted_at is null
            """)
        {
            Parameters =
            {
                new NpgsqlParameter<Guid[]> { TypedValue = [.. retractions.Select(r => r.ClaimId)] },
                new NpgsqlParameter<DateTimeOffset[]> { TypedValue = [.. retractions.Select(r => r.RecordedAt.ToUniversalTime())] },
                new NpgsqlParameter<string?[]> { TypedValue = [.. retractions.Select(r => r.Reason)] },
            },
        });
    }
}

using Npgsql;

namespace ClaimStore.Storage;

/// <summary>
/// How often the search index's lexemes occur, from the statistics PostgreSQL keeps on its document column (the most
/// common elements and their frequencies, as <c>ANALYZE</c> left them), read again after a minute. A search uses them
/// to judge how many of the newest rows it should read before it asks the GIN index (<see cref="RowsToScan"/>).
/// </summary>
public sealed class SearchWordFrequencies(NpgsqlDataSource database)
{
    /// <summary>The newest rows a search reads at most, as a multiple of the rows it reads by default.</summary>
    public const int MaxScanFactor = 2;

    private static readonly TimeSpan MaxAge = TimeSpan.FromMinutes(1);

    private Known? _known;

    /// <summary>
    /// The rows to read newest first for a page of <paramref name="limit"/>, when a share <paramref name="expectedShare"/>
    /// of the rows is expected to match: twice the rows that hold a page at that rate, from <paramref name="scanRows"/> to
    /// <see cref="MaxScanFactor"/> times that; 0 (straight to the index) when even that many would not hold a page;
    /// <paramref name="scanRows"/> when nothing is known.
    /// </summary>
    /// <remarks>
    /// GIN decodes every posting of the words it is asked, common ones too, then reads the heap row of each match; reading
    /// rows in time order costs more a row but stops at a full page. So rare words go to the index at once, and common
    /// ones read as far as a page should take (docs/architecture.md, the read side).
    /// </remarks>
    public static int RowsToScan(double? expectedShare, int limit, int scanRows)
    {
        if (expectedShare is not { } share)
        {
            return scanRows;
        }

        var rowsForPage = limit / Math.Max(share, double.Epsilon);
        return rowsForPage > (double)MaxScanFactor * scanRows
            ? 0
            : (int)Math.Clamp(2 * rowsForPage, scanRows, (double)MaxScanFactor * scanRows);
    }

    /// <summary>
    /// The share of the index's rows expected to hold all of <paramref name="words"/>, in any one language the index has
    /// documents of, taking the words as independent; a lexeme too rare to be among the most common counts at the
    /// least frequency listed. Null without statistics (a new table), or when the words give no lexeme.
    /// </summary>
    public async Task<double?> ExpectedShareAsync(string words, CancellationToken cancellationToken)
    {
        var known = await KnownAsync(cancellationToken);
        if (known.Floor <= 0)
        {
            return null;
        }

        var shares = new Dictionary<string, double>(StringComparer.Ordinal);
        await using var command = database.CreateCommand(
            $"select c.code, c.code || ':' || l from {StorageTables.ClaimSearchConfigurations} c, " +
            "unnest(tsvector_to_array(to_tsvector(c.configuration::regconfig, $1))) l");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = words });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var code = reader.GetString(0);
            var frequency = known.ByLexeme.GetValueOrDefault(reader.GetString(1), known.Floor);
            shares[code] = shares.GetValueOrDefault(code, 1.0) * frequency;
        }

        return shares.Count == 0 ? null : Math.Min(1.0, shares.Values.Sum());
    }

    private async Task<Known> KnownAsync(CancellationToken cancellationToken)
    {
        var known = Volatile.Read(ref _known);
        if (known is not null && DateTime.UtcNow - known.ReadAt < MaxAge)
        {
            return known;
        }

        await using var command = database.CreateCommand(
            "select most_common_elems::text::text[], most_common_elem_freqs from pg_stats " +
            "where schemaname = $1 and tablename = $2 and attname = 'document' and most_common_elems is not null");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = StorageTables.Schema });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = StorageTables.ClaimSearchName });
        var byLexeme = new Dictionary<string, double>(StringComparer.Ordinal);
        var floor = 0.0;
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            if (await reader.ReadAsync(cancellationToken))
            {
                var lexemes = reader.GetFieldValue<string[]>(0);
                var frequencies = reader.GetFieldValue<float[]>(1);
                for (var i = 0; i < lexemes.Length && i < frequencies.Length; i++)
                {
                    byLexeme[lexemes[i]] = frequencies[i];
                }

                // After the lexemes' own frequencies come their least and their greatest.
                floor = frequencies.Length > lexemes.Length ? frequencies[lexemes.Length] : byLexeme.Values.DefaultIfEmpty(0).Min();
            }
        }

        known = new Known(byLexeme, floor, DateTime.UtcNow);
        Volatile.Write(ref _known, known);
        return known;
    }

    private sealed record Known(Dictionary<string, double> ByLexeme, double Floor, DateTime ReadAt);
}

using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ClaimStore.Cli.Claims;
using ClaimStore.Cli.Connection;

namespace ClaimStore.Cli.Import;

/// <summary>
/// CSV (RFC 4180) with a header row naming <see cref="ClaimColumns"/>: a quoted field may hold commas,
/// doubled quotes and line breaks. An empty cell is an absent field. The cells are separated by commas, or by
/// semicolons or tabs if the header row is (as spreadsheets save CSV in locales whose decimal mark is a comma).
/// The text is UTF-8 (or UTF-16 with a byte order mark); other bytes stop the import with an error rather than
/// reach the store as replacement characters.
/// </summary>
internal static class CsvRecords
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static async IAsyncEnumerable<ClaimRecord> ReadAsync(Stream stream, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var reader = new StreamReader(stream, StrictUtf8, detectEncodingFromByteOrderMarks: true, 1 << 16, leaveOpen: true);
        string[]? header = null;
        await foreach (var row in ReadRowsAsync(reader, cancellationToken))
        {
            if (header is null)
            {
                header = Header(row);
                continue;
            }

            if (row.Error is not null)
            {
                yield return new ClaimRecord(row.Line, null, row.Error);
            }
            else if (row.Cells.Count == 1 && row.Cells[0].Length == 0)
            {
                continue;
            }
            else if (row.Cells.Count != header.Length)
            {
                yield return new ClaimRecord(row.Line, null,
                    $"Has {row.Cells.Count} cells; the header has {header.Length}.", string.Join(",", row.Cells));
            }
            else
            {
                yield return new ClaimRecord(row.Line, ToClaim(header, row.Cells), null);
            }
        }

        if (header is null)
        {
            throw new CliException(ExitCodes.Usage, "The CSV file is empty: it needs a header row naming the claim fields.");
        }
    }

    private static string[] Header(CsvRow row)
    {
        if (row.Error is not null)
        {
            throw new CliException(ExitCodes.Usage, $"The CSV header (line {row.Line}) is malformed: {row.Error}");
        }

        var names = row.Cells.Select(c => ClaimColumns.Canonical(c) ?? c).ToArray();
        var unknown = names.Where(n => !ClaimColumns.All.Contains(n, StringComparer.Ordinal)).ToList();
        if (unknown.Count > 0)
        {
            throw new CliException(ExitCodes.Usage,
                $"The CSV header names unknown columns: {string.Join(", ", unknown.Select(u => $"'{u}'"))}. Columns are: {string.Join(", ", ClaimColumns.All)}.");
        }

        var repeated = names.GroupBy(n => n).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        if (repeated.Count > 0)
        {
            throw new CliException(ExitCodes.Usage, $"The CSV header repeats columns: {string.Join(", ", repeated)}.");
        }

        return names;
    }

    private static JsonObject ToClaim(string[] header, IReadOnlyList<string> cells)
    {
        var claim = new JsonObject();
        for (var i = 0; i < header.Length; i++)
        {
            var cell = cells[i];
            if (cell.Length == 0)
            {
                continue;
            }

            var column = header[i];
            JsonNode value = column == ClaimColumns.ReportedVia
                ? new JsonArray([.. cell.Split(ClaimColumns.ListSeparators, StringSplitOptions.RemoveEmptyEntries).Select(s => (JsonNode)s)])
                : ClaimColumns.Numeric.Contains(column) && Number(cell) is { } number ? number : JsonValue.Create(cell);
            var dot = column.IndexOf('.', StringComparison.Ordinal);
            if (dot < 0)
            {
                claim[column] = value;
            }
            else
            {
                var parent = column[..dot];
                if (claim[parent] is not JsonObject nested)
                {
                    claim[parent] = nested = new JsonObject();
                }

                nested[column[(dot + 1)..]] = value;
            }
        }

        return claim;
    }

    /// <summary>A JSON number as written in the cell, or null (then the host names the field that is not a number).</summary>
    private static JsonNode? Number(string cell)
    {
        try
        {
            return JsonNode.Parse(cell) is JsonValue value && value.GetValueKind() == JsonValueKind.Number ? value : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private sealed record CsvRow(long Line, IReadOnlyList<string> Cells, string? Error);

    private static async IAsyncEnumerable<CsvRow> ReadRowsAsync(TextReader reader, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var buffer = new char[1 << 16];
        var cells = new List<string>();
        var cell = new StringBuilder();
        long line = 1, rowLine = 1;
        var quoted = false;       // inside a quoted field
        var afterQuote = false;   // a quote seen inside a quoted field: the end, or the first of a doubled pair
        var pendingCr = false;
        var any = false;
        char? delimiter = null;
        int read;
        while ((read = await ReadTextAsync(reader, buffer, line, cancellationToken)) > 0)
        {
            delimiter ??= Delimiter(buffer.AsSpan(0, read));
            for (var i = 0; i < read; i++)
            {
                var c = buffer[i];
                if (pendingCr)
                {
                    pendingCr = false;
                    if (c == '\n')
                    {
                        // The line feed of a CRLF: the line was counted at its CR.
                        continue;
                    }
                }

                if (quoted)
                {
                    if (afterQuote)
                    {
                        afterQuote = false;
                        if (c == '"')
                        {
                            cell.Append('"');
                            continue;
                        }

                        quoted = false;
                        // Falls through: the character after a closing quote is read as outside the field.
                    }
                    else if (c == '"')
                    {
                        afterQuote = true;
                        continue;
                    }
                    else
                    {
                        if (c == '\n')
                        {
                            line++;
                        }

                        cell.Append(c);
                        continue;
                    }
                }

                switch (c)
                {
                    case '"' when cell.Length == 0:
                        quoted = true;
                        any = true;
                        break;
                    case var separator when separator == delimiter:
                        cells.Add(cell.ToString());
                        cell.Clear();
                        any = true;
                        break;
                    case '\r' or '\n':
                        cells.Add(cell.ToString());
                        cell.Clear();
                        yield return new CsvRow(rowLine, [.. cells], null);
                        cells.Clear();
                        any = false;
                        if (c == '\r')
                        {
                            pendingCr = true;
                        }

                        line++;
                        rowLine = line;
                        break;
                    default:
                        cell.Append(c);
                        any = true;
                        break;
                }
            }
        }

        if (quoted && !afterQuote)
        {
            yield return new CsvRow(rowLine, [], $"A quoted field opened on line {rowLine} is never closed.");
        }
        else if (any || cell.Length > 0 || cells.Count > 0)
        {
            cells.Add(cell.ToString());
            yield return new CsvRow(rowLine, [.. cells], null);
        }
    }

    private static async Task<int> ReadTextAsync(TextReader reader, char[] buffer, long line, CancellationToken cancellationToken)
    {
        try
        {
            return await reader.ReadAsync(buffer.AsMemory(), cancellationToken);
        }
        catch (DecoderFallbackException)
        {
            throw new CliException(ExitCodes.Usage,
                $"The file is not UTF-8 text: it holds other bytes on line {line} or soon after. Save it as UTF-8 (in a spreadsheet: \"CSV UTF-8\") and import it again.");
        }
    }

    /// <summary>The separator the header row (the first line) uses most: a comma, a semicolon or a tab; a comma if none.</summary>
    private static char Delimiter(ReadOnlySpan<char> text)
    {
        var end = text.IndexOfAny('\r', '\n');
        var header = end < 0 ? text : text[..end];
        var best = ',';
        var most = header.Count(',');
        foreach (var candidate in new[] { ';', '\t' })
        {
            if (header.Count(candidate) > most)
            {
                best = candidate;
                most = header.Count(candidate);
            }
        }

        return best;
    }
}

using System.Text.Json.Nodes;

namespace ClaimStore.Cli.Import;

/// <summary>
/// One record of an input file: the claim object to send, or why it could not be read. <see cref="Line"/>
/// is where the record starts in the file (for a JSON array: the item's number).
/// </summary>
internal sealed record ClaimRecord(long Line, JsonObject? Claim, string? Error, string? Text = null);

/// <summary>The input formats, as <c>--format</c> spells them.</summary>
internal static class ImportFormats
{
    public const string Ndjson = "ndjson";
    public const string Csv = "csv";
    public const string Json = "json";

    public static readonly string[] All = [Ndjson, Csv, Json];

    /// <summary>The format a file's extension names; NDJSON when it names none.</summary>
    public static string FromExtension(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".csv" => Csv,
        ".json" => Json,
        _ => Ndjson,
    };

    public static IAsyncEnumerable<ClaimRecord> Read(string format, Stream stream, CancellationToken cancellationToken) => format switch
    {
        Csv => CsvRecords.ReadAsync(stream, cancellationToken),
        Json => JsonArrayRecords.ReadAsync(stream, cancellationToken),
        _ => NdjsonRecords.ReadAsync(stream, cancellationToken),
    };

    /// <summary>What <see cref="ClaimRecord.Line"/> counts in this format.</summary>
    public static string PositionName(string format) => format == Json ? "item" : "line";
}

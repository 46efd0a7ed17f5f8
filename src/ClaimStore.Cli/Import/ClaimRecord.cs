using System.Text;
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
        // The CSV reader decodes text itself and follows a byte order mark; the JSON readers read UTF-8 bytes.
        Csv => CsvRecords.ReadAsync(stream, cancellationToken),
        Json => JsonArrayRecords.ReadAsync(AsUtf8(stream), cancellationToken),
        _ => NdjsonRecords.ReadAsync(AsUtf8(stream), cancellationToken),
    };

    /// <summary>
    /// A file that starts with a UTF-16 or UTF-32 byte order mark (Windows PowerShell's redirection writes UTF-16), as
    /// UTF-8; any other as it is.
    /// </summary>
    private static Stream AsUtf8(Stream stream)
    {
        if (!stream.CanSeek)
        {
            return stream;
        }

        Span<byte> start = stackalloc byte[4];
        var origin = stream.Position;
        var read = stream.ReadAtLeast(start, start.Length, throwOnEndOfStream: false);
        stream.Position = origin;
        Encoding? encoding = start[..read] switch
        {
            [0xFF, 0xFE, 0x00, 0x00] => Encoding.UTF32,
            [0x00, 0x00, 0xFE, 0xFF] => new UTF32Encoding(bigEndian: true, byteOrderMark: true),
            [0xFF, 0xFE, ..] => Encoding.Unicode,
            [0xFE, 0xFF, ..] => Encoding.BigEndianUnicode,
            _ => null,
        };
        return encoding is null ? stream : Encoding.CreateTranscodingStream(stream, encoding, Encoding.UTF8, leaveOpen: true);
    }

    /// <summary>What <see cref="ClaimRecord.Line"/> counts in this format.</summary>
    public static string PositionName(string format) => format == Json ? "item" : "line";
}

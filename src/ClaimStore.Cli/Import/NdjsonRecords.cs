using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ClaimStore.Cli.Import;

/// <summary>One claim object a line; blank lines are skipped.</summary>
internal static class NdjsonRecords
{
    public static async IAsyncEnumerable<ClaimRecord> ReadAsync(Stream stream, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: true, 1 << 16, leaveOpen: true);
        long line = 0;
        while (await reader.ReadLineAsync(cancellationToken) is { } text)
        {
            line++;
            if (string.IsNullOrWhiteSpace(text))
            {
                continue;
            }

            yield return Parse(line, text);
        }
    }

    private static ClaimRecord Parse(long line, string text)
    {
        try
        {
            return JsonNode.Parse(text) is JsonObject claim
                ? new ClaimRecord(line, claim, null)
                : new ClaimRecord(line, null, "Must be a JSON object.", text);
        }
        catch (JsonException e)
        {
            return new ClaimRecord(line, null, $"Malformed JSON: {e.Message}", text);
        }
    }
}

using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using ClaimStore.Cli.Connection;

namespace ClaimStore.Cli.Import;

/// <summary>A JSON array of claim objects, read item by item (the array is never held whole).</summary>
internal static class JsonArrayRecords
{
    public static async IAsyncEnumerable<ClaimRecord> ReadAsync(Stream stream, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var items = JsonSerializer.DeserializeAsyncEnumerable<JsonNode?>(stream, topLevelValues: false, cancellationToken: cancellationToken);
        await using var enumerator = items.GetAsyncEnumerator(cancellationToken);
        long item = 0;
        while (true)
        {
            JsonNode? node;
            try
            {
                if (!await enumerator.MoveNextAsync())
                {
                    yield break;
                }

                node = enumerator.Current;
            }
            catch (JsonException e)
            {
                // Past a syntax error nothing further in the file can be trusted.
                throw new CliException(ExitCodes.Usage, $"The JSON array is malformed after item {item}: {JsonErrors.Describe(e, withLine: true)}");
            }

            item++;
            yield return node is JsonObject claim
                ? new ClaimRecord(item, claim, null)
                : new ClaimRecord(item, null, "Must be a JSON object.", node?.ToJsonString() ?? "null");
        }
    }
}

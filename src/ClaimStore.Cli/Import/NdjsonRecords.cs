using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Unicode;

namespace ClaimStore.Cli.Import;

/// <summary>
/// One claim object a line; blank lines are skipped. Lines are read as bytes and checked to be UTF-8, so a
/// line in another encoding is rejected instead of stored with replacement characters.
/// </summary>
internal static class NdjsonRecords
{
    private static readonly byte[] ByteOrderMark = [0xEF, 0xBB, 0xBF];

    public static async IAsyncEnumerable<ClaimRecord> ReadAsync(Stream stream, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 1 << 16, leaveOpen: true));
        long line = 0;
        try
        {
            while (true)
            {
                var read = await reader.ReadAsync(cancellationToken);
                var buffer = read.Buffer;
                while (TryReadLine(ref buffer, read.IsCompleted, out var bytes))
                {
                    line++;
                    if (Parse(line, line == 1 && bytes.StartsWith(ByteOrderMark) ? bytes[ByteOrderMark.Length..] : bytes) is { } record)
                    {
                        yield return record;
                    }
                }

                reader.AdvanceTo(buffer.Start, buffer.End);
                if (read.IsCompleted)
                {
                    break;
                }
            }
        }
        finally
        {
            await reader.CompleteAsync();
        }
    }

    /// <summary>The next line, without its LF or CRLF; at the end of the input, what is left.</summary>
    private static bool TryReadLine(ref ReadOnlySequence<byte> buffer, bool completed, out byte[] line)
    {
        ReadOnlySequence<byte> text;
        if (buffer.PositionOf((byte)'\n') is { } end)
        {
            text = buffer.Slice(0, end);
            buffer = buffer.Slice(buffer.GetPosition(1, end));
        }
        else if (completed && !buffer.IsEmpty)
        {
            text = buffer;
            buffer = buffer.Slice(buffer.End);
        }
        else
        {
            line = [];
            return false;
        }

        if (!text.IsEmpty && text.Slice(text.Length - 1).FirstSpan[0] == (byte)'\r')
        {
            text = text.Slice(0, text.Length - 1);
        }

        line = text.ToArray();
        return true;
    }

    private static ClaimRecord? Parse(long line, byte[] bytes)
    {
        if (!Utf8.IsValid(bytes))
        {
            return new ClaimRecord(line, null, "Not UTF-8 text: save the file as UTF-8 and import it again.", Encoding.UTF8.GetString(bytes));
        }

        if (bytes.AsSpan().Trim(" \t"u8).IsEmpty)
        {
            return null;
        }

        try
        {
            return JsonNode.Parse(bytes) is JsonObject claim
                ? new ClaimRecord(line, claim, null)
                : new ClaimRecord(line, null, "Must be a JSON object.", Encoding.UTF8.GetString(bytes));
        }
        catch (JsonException e)
        {
            return new ClaimRecord(line, null, $"Malformed JSON: {JsonErrors.Describe(e, withLine: false)}", Encoding.UTF8.GetString(bytes));
        }
    }
}

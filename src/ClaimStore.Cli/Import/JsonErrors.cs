using System.Text.Json;

namespace ClaimStore.Cli.Import;

/// <summary>A JSON syntax error as the user's file locates it: line and byte counted from 1, without the parser's own path.</summary>
internal static class JsonErrors
{
    public static string Describe(JsonException e, bool withLine)
    {
        var message = e.Message;
        foreach (var tail in new[] { " Path: ", " LineNumber: " })
        {
            if (message.IndexOf(tail, StringComparison.Ordinal) is var cut and >= 0)
            {
                message = message[..cut];
            }
        }

        var at = (withLine && e.LineNumber is { } lineNumber ? $"line {lineNumber + 1}, " : "")
            + (e.BytePositionInLine is { } position ? $"byte {position + 1}" : "");
        return at.Length == 0 ? message : $"{message} ({at.TrimEnd(',', ' ')})";
    }
}

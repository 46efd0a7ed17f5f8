using System.Globalization;
using System.Text.Json.Nodes;

namespace ClaimStore.Cli.Output;

/// <summary>How tables show the API's values to people.</summary>
internal static class Tables
{
    public static string Time(JsonNode? time, string whenNull = "")
    {
        if (time is null)
        {
            return whenNull;
        }

        var instant = DateTimeOffset.Parse((string)time!, CultureInfo.InvariantCulture).UtcDateTime;
        return instant.TimeOfDay == TimeSpan.Zero
            ? instant.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)
            : instant.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);
    }

    public static string Quantity(JsonNode? quantity) =>
        quantity is null ? "" : $"{quantity["min"]}–{quantity["max"]} {(string?)quantity["unit"]}";

    public static string Shorten(string? text, int length) =>
        text is null ? "" : text.Length <= length ? text : string.Concat(text.AsSpan(0, length - 1), "…");
}

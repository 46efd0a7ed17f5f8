using System.Globalization;
using System.Text;
using ClaimStore.Domain.Claims;

namespace ClaimStore.Api.Ui.Shared;

/// <summary>How the workbench writes instants, enums and quantities: as the API does (UTC, kebab-case), for people.</summary>
internal static class Format
{
    public static string Instant(DateTimeOffset instant) =>
        instant.ToUniversalTime().ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);

    public static string Date(DateTimeOffset instant) =>
        instant.ToUniversalTime().ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>The value of an <c>&lt;input type="datetime-local"&gt;</c>, in UTC.</summary>
    public static string PickerValue(DateTimeOffset? instant) =>
        instant?.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm", CultureInfo.InvariantCulture) ?? "";

    /// <summary>
    /// A picker's value (no offset: read as UTC) or an ISO 8601 timestamp with an offset, as the API's
    /// <c>asOf</c> and <c>knownAt</c> take it; blank is null.
    /// </summary>
    public static string? TimestampParameter(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        value = value.Trim();
        return DateTime.TryParseExact(value, ["yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd'T'HH:mm:ss"], CultureInfo.InvariantCulture,
                DateTimeStyles.None, out var local)
            ? local.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)
            : value;
    }

    public static string Kebab<T>(T value) where T : struct, Enum
    {
        var name = value.ToString();
        var text = new StringBuilder(name.Length + 4);
        foreach (var c in name)
        {
            if (char.IsUpper(c) && text.Length > 0)
            {
                text.Append('-');
            }

            text.Append(char.ToLowerInvariant(c));
        }

        return text.ToString();
    }

    public static string Quantity(Quantity? quantity) =>
        quantity is null ? ""
        : quantity.Min == quantity.Max ? $"{quantity.Min.ToString("#,0.##", CultureInfo.InvariantCulture)} {quantity.Unit}"
        : $"{quantity.Min.ToString("#,0.##", CultureInfo.InvariantCulture)}–{quantity.Max.ToString("#,0.##", CultureInfo.InvariantCulture)} {quantity.Unit}";

    /// <summary>Stance with certainty, as a reader says it: "affirms", "denies (possible)".</summary>
    public static string Stance(Stance stance, Certainty certainty) =>
        certainty == Certainty.Certain ? Kebab(stance) : $"{Kebab(stance)} ({Kebab(certainty)})";

    public static string Count(int count, string one, string many) =>
        count == 1 ? $"1 {one}" : $"{count.ToString("#,0", CultureInfo.InvariantCulture)} {many}";
}

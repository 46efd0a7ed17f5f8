using System.Globalization;
using ClaimStore.Cli.Connection;

namespace ClaimStore.Cli.Claims;

/// <summary>Instants on the command line, as the API takes them: ISO 8601 with an offset.</summary>
internal static class Times
{
    public static DateTimeOffset? Parse(string option, string? text)
    {
        if (text is null)
        {
            return null;
        }

        var withOffset = text.EndsWith('Z') || text.EndsWith('z') || text.LastIndexOfAny(['+', '-']) > 10;
        if (!withOffset || !DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var time))
        {
            throw new CliException(ExitCodes.Usage, $"{option} must be an ISO 8601 timestamp with an offset, such as 2024-12-04T00:00:00Z; not '{text}'.");
        }

        return time;
    }

    /// <summary>As query strings and exports write it.</summary>
    public static string Format(DateTimeOffset time) => Export.ExportedClaim.Instant(time);
}

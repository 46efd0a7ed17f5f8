using System.Text.RegularExpressions;

namespace ClaimStore.Domain.Common;

/// <summary>Identifiers of actors, subjects, predicates, objects and units: lowercase words joined by hyphens.</summary>
public static partial class Slug
{
    public const int MaxLength = 64;

    public const string Pattern = "^[a-z0-9]+(-[a-z0-9]+)*$";

    public static bool IsValid(string? value) =>
        value is { Length: > 0 and <= MaxLength } && SlugRegex().IsMatch(value);

    [GeneratedRegex(Pattern, RegexOptions.CultureInvariant)]
    private static partial Regex SlugRegex();
}

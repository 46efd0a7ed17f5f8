using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using ClaimStore.Domain.Common;
using FluentValidation;
using FluentValidation.Results;

namespace ClaimStore.Api.Http;

/// <summary>Rules shared by the request validators, and the one conversion of failures to field paths.</summary>
public static partial class ValidationRules
{
    public static IRuleBuilderOptions<T, string?> Slug<T>(this IRuleBuilder<T, string?> rule) =>
        rule.Must(value => value is null || Domain.Common.Slug.IsValid(value))
            .WithMessage($"Must be a slug of at most {Domain.Common.Slug.MaxLength} characters matching {Domain.Common.Slug.Pattern}.");

    public static IRuleBuilderOptions<T, string?> LanguageTag<T>(this IRuleBuilder<T, string?> rule) =>
        rule.Must(tag => tag is null || tag.Length <= 35 && LanguageTagRegex().IsMatch(tag))
            .WithMessage("Must be a BCP 47 language tag, such as de or en-GB.");

    /// <summary>A proposition key: <c>subject:predicate</c> or <c>subject:predicate:object</c>, each part a slug.</summary>
    public static IRuleBuilderOptions<T, string?> PropositionKey<T>(this IRuleBuilder<T, string?> rule) =>
        rule.Must(value => value is null || IsPropositionKey(value))
            .WithMessage("Must be a proposition key: subject:predicate or subject:predicate:object, each a slug.");

    public static bool IsPropositionKey(string value)
    {
        var parts = value.Split(':');
        return parts.Length is 2 or 3 && parts.All(Domain.Common.Slug.IsValid);
    }

    /// <summary>
    /// Text PostgreSQL can store and UTF-8 can carry: no NUL character (jsonb refuses it) and no lone
    /// surrogate (not a Unicode scalar value), at most <paramref name="maxLength"/> characters.
    /// </summary>
    public static IRuleBuilderOptions<T, string?> Text<T>(this IRuleBuilder<T, string?> rule, int maxLength) =>
        rule.Must(value => value is null || IsStorableText(value))
            .WithMessage("Must be valid Unicode text without NUL characters.")
            .Must(value => value is null || CountCharacters(value) <= maxLength)
            .WithMessage($"Must be at most {maxLength} characters long.");

    public static IRuleBuilderOptions<T, string?> OneOf<T>(this IRuleBuilder<T, string?> rule, IReadOnlyCollection<string> allowed) =>
        rule.Must(value => value is null || allowed.Contains(value))
            .WithMessage((_, value) => $"'{Truncate(value)}' is not one of: {string.Join(", ", allowed)}.");

    /// <summary>An ISO 8601 timestamp with an explicit offset, such as 2024-12-04T00:00:00Z.</summary>
    public static IRuleBuilderOptions<T, string?> Timestamp<T>(this IRuleBuilder<T, string?> rule) =>
        rule.Must(value => value is null || TryParseTimestamp(value, out _))
            .WithMessage("Must be an ISO 8601 timestamp with an offset, such as 2024-12-04T00:00:00Z.");

    public static bool TryParseTimestamp(string value, out DateTimeOffset timestamp)
    {
        timestamp = default;
        return TimestampRegex().IsMatch(value)
            && DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.None, out timestamp);
    }

    /// <summary>A timestamp the validator accepted, as a UTC instant.</summary>
    public static DateTimeOffset ParseTimestamp(string value) =>
        DateTimeOffset.Parse(value, CultureInfo.InvariantCulture, DateTimeStyles.None).ToUniversalTime();

    /// <summary>
    /// Failures keyed by camelCase field path (<c>quantity.max</c>, <c>reportedVia[2]</c>), each with its messages.
    /// </summary>
    public static Dictionary<string, string[]> ToErrors(IEnumerable<ValidationFailure> failures, string? prefix = null) =>
        failures
            .GroupBy(f => CamelCasePath(f.PropertyName, prefix))
            .ToDictionary(g => g.Key, g => g.Select(f => f.ErrorMessage).Distinct().ToArray());

    public static string CamelCasePath(string path, string? prefix = null)
    {
        var segments = path.Split('.', StringSplitOptions.RemoveEmptyEntries)
            .Select(s => s.Length == 0 || char.IsLower(s[0]) ? s : char.ToLowerInvariant(s[0]) + s[1..]);
        var joined = string.Join('.', segments);
        return string.IsNullOrEmpty(prefix) ? joined : joined.Length == 0 ? prefix : $"{prefix}.{joined}";
    }

    private static bool IsStorableText(string value)
    {
        if (value.Contains('\0', StringComparison.Ordinal))
        {
            return false;
        }

        // A strict encoder throws on a lone surrogate, where EnumerateRunes would silently replace it.
        try
        {
            StrictUtf8.GetByteCount(value);
            return true;
        }
        catch (EncoderFallbackException)
        {
            return false;
        }
    }

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    // Characters as a reader counts them: Unicode scalar values, so "„" is one and an emoji is one.
    private static int CountCharacters(string value) => value.EnumerateRunes().Count();

    private static string Truncate(string? value) => value is { Length: > 40 } ? value[..40] + "…" : value ?? "";

    [GeneratedRegex(
        "^[A-Za-z]{2,3}(-[A-Za-z]{4})?(-([A-Za-z]{2}|[0-9]{3}))?(-([A-Za-z0-9]{5,8}|[0-9][A-Za-z0-9]{3}))*$",
        RegexOptions.CultureInvariant)]
    private static partial Regex LanguageTagRegex();

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|[+-]\d{2}:\d{2})$", RegexOptions.CultureInvariant)]
    private static partial Regex TimestampRegex();
}

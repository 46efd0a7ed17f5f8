using System.Globalization;
using System.Text.Json;

namespace ClaimStore.Cli.Export;

/// <summary>
/// One recorded claim as the exports write it: the fields a client sends (so that the file imports
/// again unchanged), with timestamps as UTC instants and numbers exactly as the host wrote them.
/// </summary>
internal sealed record ExportedClaim(
    string ActorId,
    string ClaimId,
    string Subject,
    string Predicate,
    string? Object,
    string Stance,
    string Kind,
    string StatedAt,
    string? Quote,
    string? Language,
    string? SourcePublisher,
    string? SourceUrl,
    string? SourceTitle,
    string? SourcePublishedAt,
    IReadOnlyList<string> ReportedVia,
    string? Spokesperson,
    string Certainty,
    string? QuantityMin,
    string? QuantityMax,
    string? QuantityUnit,
    string? Confidence,
    DateTimeOffset StatedAtInstant)
{
    public string PropositionKey => Object is null ? $"{Subject}:{Predicate}" : $"{Subject}:{Predicate}:{Object}";

    /// <summary>The claim of a <c>ClaimRecorded</c> event's <c>data</c>.</summary>
    public static ExportedClaim FromRecorded(JsonElement data)
    {
        var claim = data.GetProperty("claim");
        var proposition = claim.GetProperty("proposition");
        var source = Optional(claim, "source");
        var quantity = Optional(claim, "quantity");
        var statedAt = DateTimeOffset.Parse(claim.GetProperty("statedAt").GetString()!, CultureInfo.InvariantCulture);
        return new ExportedClaim(
            data.GetProperty("actorId").GetString()!,
            data.GetProperty("claimId").GetString()!,
            proposition.GetProperty("subject").GetString()!,
            proposition.GetProperty("predicate").GetString()!,
            String(proposition, "object"),
            claim.GetProperty("stance").GetString()!,
            claim.GetProperty("kind").GetString()!,
            Instant(statedAt),
            String(claim, "quote"),
            String(claim, "language"),
            source is { } s ? String(s, "publisher") : null,
            source is { } s2 ? String(s2, "url") : null,
            source is { } s3 ? String(s3, "title") : null,
            source is { } s4 && String(s4, "publishedAt") is { } published
                ? Instant(DateTimeOffset.Parse(published, CultureInfo.InvariantCulture))
                : null,
            Optional(claim, "reportedVia") is { } via ? [.. via.EnumerateArray().Select(v => v.GetString()!)] : [],
            String(claim, "spokesperson"),
            claim.GetProperty("certainty").GetString()!,
            quantity is { } q ? q.GetProperty("min").GetRawText() : null,
            quantity is { } q2 ? q2.GetProperty("max").GetRawText() : null,
            quantity is { } q3 ? q3.GetProperty("unit").GetString() : null,
            Optional(claim, "confidence")?.GetRawText(),
            statedAt);
    }

    /// <summary>UTC, to the tick, without trailing zeros: <c>2024-12-04T00:00:00Z</c>.</summary>
    public static string Instant(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture);

    private static JsonElement? Optional(JsonElement parent, string name) =>
        parent.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;

    private static string? String(JsonElement parent, string name) => Optional(parent, name)?.GetString();
}

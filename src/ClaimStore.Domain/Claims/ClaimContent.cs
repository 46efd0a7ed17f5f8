using System.Collections.Immutable;

namespace ClaimStore.Domain.Claims;

/// <summary>
/// The meaning of a claim as stored, defaults applied. Two submissions with the same
/// <c>claimId</c> are the same claim exactly when their contents are equal.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record ClaimContent(
    [property: Id(0)] Proposition Proposition,
    [property: Id(1)] Stance Stance,
    [property: Id(2)] SpeechAct Kind,
    [property: Id(3)] DateTimeOffset StatedAt,
    [property: Id(4)] string? Quote,
    [property: Id(5)] string? Language,
    [property: Id(6)] ClaimSource? Source,
    [property: Id(7)] ImmutableArray<string> ReportedVia,
    [property: Id(8)] string? Spokesperson,
    [property: Id(9)] Certainty Certainty,
    [property: Id(10)] Quantity? Quantity,
    [property: Id(11)] double? Confidence)
{
    public bool Equals(ClaimContent? other) =>
        other is not null
        && Proposition == other.Proposition
        && Stance == other.Stance
        && Kind == other.Kind
        && StatedAt.UtcDateTime == other.StatedAt.UtcDateTime
        && string.Equals(Quote, other.Quote, StringComparison.Ordinal)
        // BCP 47 tags are case-insensitive: "de-DE" and "de-de" name the same language.
        && string.Equals(Language, other.Language, StringComparison.OrdinalIgnoreCase)
        && Source == other.Source
        && ReportedVia.AsSpan().SequenceEqual(other.ReportedVia.AsSpan())
        && Spokesperson == other.Spokesperson
        && Certainty == other.Certainty
        && Quantity == other.Quantity
        && Confidence == other.Confidence;

    public override int GetHashCode() => HashCode.Combine(Proposition, Stance, StatedAt.UtcDateTime, Quote);
}

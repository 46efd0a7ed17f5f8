namespace ClaimStore.Domain.Claims;

/// <summary>Where the recorder read the claim.</summary>
[GenerateSerializer, Immutable]
public sealed record ClaimSource(
    [property: Id(0)] string? Publisher,
    [property: Id(1)] string? Url,
    [property: Id(2)] string? Title,
    [property: Id(3)] DateTimeOffset? PublishedAt)
{
    // Instants compare equal whatever their offset: "same content" means the same moment.
    public bool Equals(ClaimSource? other) =>
        other is not null && Publisher == other.Publisher && Url == other.Url && Title == other.Title
        && Nullable.Equals(PublishedAt?.UtcDateTime, other.PublishedAt?.UtcDateTime);

    public override int GetHashCode() => HashCode.Combine(Publisher, Url, Title, PublishedAt?.UtcDateTime);
}

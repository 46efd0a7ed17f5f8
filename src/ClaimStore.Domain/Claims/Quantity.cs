namespace ClaimStore.Domain.Claims;

/// <summary>A numeric estimate as a closed range: "10,000 to 12,000 soldiers".</summary>
[GenerateSerializer, Immutable]
public sealed record Quantity(
    [property: Id(0)] decimal Min,
    [property: Id(1)] decimal Max,
    [property: Id(2)] string Unit)
{
    /// <summary>Two ranges of the same unit that share no value cannot both be right.</summary>
    public bool IsDisjointFrom(Quantity other) =>
        Unit == other.Unit && (Max < other.Min || other.Max < Min);
}

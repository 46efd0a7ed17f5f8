using System.Collections.Immutable;

namespace ClaimStore.Domain.Actors;

/// <summary>How an actor is named and classified. Aliases are kept in the order given.</summary>
[GenerateSerializer, Immutable]
public sealed record ActorProfile(
    [property: Id(0)] string Name,
    [property: Id(1)] ActorKind Kind,
    [property: Id(2)] ImmutableArray<string> Aliases)
{
    public bool Equals(ActorProfile? other) =>
        other is not null && Name == other.Name && Kind == other.Kind && Aliases.SequenceEqual(other.Aliases);

    public override int GetHashCode() => HashCode.Combine(Name, Kind, Aliases.Length);
}

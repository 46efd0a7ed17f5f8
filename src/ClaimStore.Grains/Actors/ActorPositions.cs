using System.Collections.Immutable;
using ClaimStore.Domain.Positions;

namespace ClaimStore.Grains.Actors;

/// <summary>
/// An actor's positions, sorted by proposition key, computed from the stream at <paramref name="Version"/>;
/// empty and not registered for an unknown actor.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record ActorPositions(
    [property: Id(0)] bool IsRegistered,
    [property: Id(1)] ImmutableArray<Position> Positions,
    [property: Id(2)] long Version);

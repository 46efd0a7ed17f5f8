using System.Collections.Immutable;
using ClaimStore.Domain.Timelines;

namespace ClaimStore.Grains.Actors;

/// <summary>
/// An actor's timelines, sorted by proposition key, computed from the stream at <paramref name="Version"/>;
/// empty and not registered for an unknown actor.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record ActorTimeline(
    [property: Id(0)] bool IsRegistered,
    [property: Id(1)] ImmutableArray<PropositionTimeline> Propositions,
    [property: Id(2)] long Version);

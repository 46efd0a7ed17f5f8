using ClaimStore.Domain.Actors;

namespace ClaimStore.Grains.Actors;

/// <summary>What an erasure came to: its status, the stream's version after it, and how many stored events it rewrote.</summary>
[GenerateSerializer, Immutable]
public sealed record ErasureResult(
    [property: Id(0)] ErasureStatus Status,
    [property: Id(1)] long Version,
    [property: Id(2)] int RewrittenEvents);

using System.Collections.Immutable;

namespace ClaimStore.Domain.Actors;

/// <summary>Every event of an actor's stream carries the transaction time at which it was recorded.</summary>
public interface IActorEvent
{
    string ActorId { get; }

    DateTimeOffset RecordedAt { get; }
}

/// <summary>The first event of every actor stream.</summary>
public sealed record ActorRegistered(
    string ActorId,
    string Name,
    ActorKind Kind,
    ImmutableArray<string> Aliases,
    DateTimeOffset RecordedAt) : IActorEvent;

/// <summary>A later change of name, kind or aliases.</summary>
public sealed record ActorProfileChanged(
    string ActorId,
    string Name,
    ActorKind Kind,
    ImmutableArray<string> Aliases,
    DateTimeOffset RecordedAt) : IActorEvent;

/// <summary>
/// The person's name, aliases and the text of the claims that name them were erased on request
/// (decision 0015); <see cref="ErasedBy"/> is the name of the API key that asked, never the key.
/// </summary>
public sealed record ActorErased(
    string ActorId,
    string ErasedBy,
    int RewrittenEvents,
    DateTimeOffset RecordedAt) : IActorEvent;

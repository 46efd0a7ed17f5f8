using System.Collections.Immutable;
using ClaimStore.Domain.Actors;
using ClaimStore.Domain.Claims;
using Marten.Events.Aggregation;

namespace ClaimStore.Grains.Storage;

/// <summary>One row of <c>GET /actors</c>, kept in the same transaction as the actor's events.</summary>
public sealed record ActorSummary(
    string Id,
    string Name,
    ActorKind Kind,
    ImmutableArray<string> Aliases,
    int ClaimCount);

/// <summary>Inline projection: the actor's grain is the only writer of its stream, so this document never races.</summary>
public sealed class ActorSummaryProjection : SingleStreamProjection<ActorSummary, string>
{
    public static ActorSummary Create(ActorRegistered e) => new(e.ActorId, e.Name, e.Kind, e.Aliases, 0);

    public static ActorSummary Apply(ActorProfileChanged e, ActorSummary current) =>
        current with { Name = e.Name, Kind = e.Kind, Aliases = e.Aliases };

    // Every recorded claim counts, retracted ones included (the contract's claimCount).
    public static ActorSummary Apply(ClaimRecorded e, ActorSummary current) =>
        current with { ClaimCount = current.ClaimCount + 1 };

    /// <summary>The same rules as one fold step, for rebuilding the documents outside Marten's projection runner.</summary>
    public static ActorSummary? Evolve(ActorSummary? current, IActorEvent @event) => (current, @event) switch
    {
        (null, ActorRegistered e) => Create(e),
        ({ } s, ActorProfileChanged e) => Apply(e, s),
        ({ } s, ClaimRecorded e) => Apply(e, s),
        _ => current,
    };
}

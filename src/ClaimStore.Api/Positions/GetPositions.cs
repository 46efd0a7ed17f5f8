using ClaimStore.Api.Http;
using ClaimStore.Domain.Claims;
using ClaimStore.Domain.Positions;
using ClaimStore.Grains.Actors;
using FluentValidation;
using Mediator;

namespace ClaimStore.Api.Positions;

/// <summary>
/// An actor's positions at valid time <paramref name="AsOf"/> as known at transaction time
/// <paramref name="KnownAt"/>; null when the actor is not registered.
/// </summary>
public sealed record GetPositions(string ActorId, string? AsOf, string? KnownAt) : IRequest<PositionsAnswer?>
{
    public sealed class Validator : AbstractValidator<GetPositions>
    {
        public Validator()
        {
            RuleFor(q => q.AsOf).Timestamp().OverridePropertyName("asOf");
            RuleFor(q => q.KnownAt).Timestamp().OverridePropertyName("knownAt");
        }
    }

    public sealed class Handler(IGrainFactory grains, LocalPositions local, CurrentPositionsCache cache)
        : IRequestHandler<GetPositions, PositionsAnswer?>
    {
        public async ValueTask<PositionsAnswer?> Handle(GetPositions query, CancellationToken cancellationToken)
        {
            if (!Domain.Common.Slug.IsValid(query.ActorId))
            {
                return null;
            }

            var asOf = query.AsOf is null ? (DateTimeOffset?)null : ValidationRules.ParseTimestamp(query.AsOf);
            var knownAt = query.KnownAt is null ? (DateTimeOffset?)null : ValidationRules.ParseTimestamp(query.KnownAt);
            // Current positions of an actor active in this silo come as its grain published them; the rest from the grain.
            var result = asOf is null && knownAt is null && local.TryGetCurrent(query.ActorId, out var published)
                ? published
                : await grains.GetActorGrain(query.ActorId).GetPositionsAsync(asOf, knownAt);
            if (!result.IsRegistered)
            {
                return null;
            }

            PositionsView View() => new(query.ActorId, asOf, knownAt, [.. result.Positions.Select(PositionView.From)]);
            return asOf is null && knownAt is null
                ? new PositionsAnswer(null, cache.GetOrAdd(query.ActorId, result.Version, View))
                : new PositionsAnswer(View(), null);
        }
    }
}

/// <summary>Positions found: current ones as their cached JSON, past ones as a view.</summary>
public sealed record PositionsAnswer(PositionsView? View, byte[]? Json);

public sealed record PositionsView(string ActorId, DateTimeOffset? AsOf, DateTimeOffset? KnownAt, IReadOnlyList<PositionView> Positions);

public sealed record PositionView(
    string PropositionKey,
    string Subject,
    string Predicate,
    string? Object,
    Stance Stance,
    Certainty Certainty,
    Quantity? Quantity,
    DateTimeOffset Since,
    Guid ClaimId,
    int ClaimCount)
{
    public static PositionView From(Position p) => new(
        p.Proposition.Key, p.Proposition.Subject, p.Proposition.Predicate, p.Proposition.Object,
        p.Stance, p.Certainty, p.Quantity, p.Since, p.ClaimId, p.ClaimCount);
}

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
public sealed record GetPositions(string ActorId, string? AsOf, string? KnownAt) : IRequest<PositionsView?>
{
    public sealed class Validator : AbstractValidator<GetPositions>
    {
        public Validator()
        {
            RuleFor(q => q.AsOf).Timestamp().OverridePropertyName("asOf");
            RuleFor(q => q.KnownAt).Timestamp().OverridePropertyName("knownAt");
        }
    }

    public sealed class Handler(IGrainFactory grains) : IRequestHandler<GetPositions, PositionsView?>
    {
        public async ValueTask<PositionsView?> Handle(GetPositions query, CancellationToken cancellationToken)
        {
            if (!Domain.Common.Slug.IsValid(query.ActorId))
            {
                return null;
            }

            var asOf = query.AsOf is null ? (DateTimeOffset?)null : ValidationRules.ParseTimestamp(query.AsOf);
            var knownAt = query.KnownAt is null ? (DateTimeOffset?)null : ValidationRules.ParseTimestamp(query.KnownAt);
            var result = await grains.GetGrain<IActorGrain>(query.ActorId).GetPositionsAsync(asOf, knownAt);
            return result.IsRegistered
                ? new PositionsView(query.ActorId, asOf, knownAt, [.. result.Positions.Select(PositionView.From)])
                : null;
        }
    }
}

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

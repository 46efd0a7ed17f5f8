using ClaimStore.Api.Http;
using ClaimStore.Domain.Claims;
using ClaimStore.Domain.Timelines;
using ClaimStore.Grains.Actors;
using FluentValidation;
using Mediator;

namespace ClaimStore.Api.Timelines;

/// <summary>
/// An actor's positions along valid time as maximal periods, as known at <paramref name="KnownAt"/>;
/// null when the actor is not registered. Computed by the actor's grain, so a write is visible as soon
/// as its POST returned.
/// </summary>
public sealed record GetTimeline(string ActorId, string? PropositionKey, string? KnownAt) : IRequest<TimelineView?>
{
    public sealed class Validator : AbstractValidator<GetTimeline>
    {
        public Validator()
        {
            RuleFor(q => q.PropositionKey).PropositionKey().OverridePropertyName("propositionKey");
            RuleFor(q => q.KnownAt).Timestamp().OverridePropertyName("knownAt");
        }
    }

    public sealed class Handler(IGrainFactory grains) : IRequestHandler<GetTimeline, TimelineView?>
    {
        public async ValueTask<TimelineView?> Handle(GetTimeline query, CancellationToken cancellationToken)
        {
            if (!Domain.Common.Slug.IsValid(query.ActorId))
            {
                return null;
            }

            var knownAt = query.KnownAt is null ? (DateTimeOffset?)null : ValidationRules.ParseTimestamp(query.KnownAt);
            var timeline = await grains.GetActorGrain(query.ActorId).GetTimelineAsync(query.PropositionKey, knownAt);
            return timeline.IsRegistered
                ? new TimelineView(query.ActorId, knownAt, [.. timeline.Propositions.Select(PropositionTimelineView.From)])
                : null;
        }
    }
}

public sealed record TimelineView(string ActorId, DateTimeOffset? KnownAt, IReadOnlyList<PropositionTimelineView> Propositions);

public sealed record PropositionTimelineView(string PropositionKey, IReadOnlyList<StancePeriodView> Periods)
{
    public static PropositionTimelineView From(PropositionTimeline timeline) =>
        new(timeline.Key, [.. timeline.Periods.Select(StancePeriodView.Of)]);
}

public sealed record StancePeriodView(
    Stance Stance, Certainty Certainty, Quantity? Quantity, DateTimeOffset From, DateTimeOffset? To, IReadOnlyList<Guid> ClaimIds)
{
    public static StancePeriodView Of(StancePeriod p) => new(p.Stance, p.Certainty, p.Quantity, p.From, p.To, p.ClaimIds);
}

using System.Globalization;
using ClaimStore.Api.Http;
using FluentValidation;
using Mediator;

namespace ClaimStore.Api.Feeds;

/// <summary>
/// The global log as a live feed: every event after <paramref name="LastEventId"/> (a reconnecting client's
/// last <c>id:</c>), else after <paramref name="AfterSequence"/>, else from now on; only one actor's events, or
/// only the claims and retractions on one proposition, when asked.
/// </summary>
public sealed record FollowEvents(string? LastEventId, long? AfterSequence, string? ActorId, string? PropositionKey)
    : IRequest<IAsyncEnumerable<IReadOnlyList<ServerSentEvent>>>
{
    public const string LastEventIdHeader = "Last-Event-ID";

    // Header names are case-insensitive; in lower case the name comes through the camelCase error keys unchanged.
    public const string LastEventIdErrorKey = "last-event-id";

    public sealed class Validator : AbstractValidator<FollowEvents>
    {
        public Validator()
        {
            RuleFor(q => q.LastEventId).Must(id => id is null || TryParseSequence(id, out _))
                .WithMessage("Must be the id of an event of this feed: a sequence number, 0 or more.")
                .OverridePropertyName(LastEventIdErrorKey);
            RuleFor(q => q.AfterSequence).GreaterThanOrEqualTo(0).WithMessage("Must be 0 or more.").OverridePropertyName("afterSequence");
            RuleFor(q => q.ActorId).Slug().OverridePropertyName("actorId");
            RuleFor(q => q.PropositionKey).PropositionKey().OverridePropertyName("propositionKey");
        }
    }

    public static bool TryParseSequence(string value, out long sequence) =>
        long.TryParse(value.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out sequence);

    public sealed class Handler(LiveEventLog log) : IRequestHandler<FollowEvents, IAsyncEnumerable<IReadOnlyList<ServerSentEvent>>>
    {
        public async ValueTask<IAsyncEnumerable<IReadOnlyList<ServerSentEvent>>> Handle(FollowEvents query, CancellationToken cancellationToken)
        {
            var after = query.LastEventId is { } id && TryParseSequence(id, out var last) ? last
                : query.AfterSequence ?? await log.HorizonAsync(cancellationToken);
            var (actor, proposition) = (query.ActorId, query.PropositionKey);
            return log.FollowAsync(
                    after,
                    e => (actor is null || e.ActorId == actor) && (proposition is null || e.PropositionKey == proposition),
                    CancellationToken.None);
        }
    }
}

/// <summary>Live changes of the contradiction list, from now on; only those naming an actor, or on one proposition, when asked.</summary>
public sealed record FollowContradictions(string? ActorId, string? PropositionKey) : IRequest<IAsyncEnumerable<IReadOnlyList<ServerSentEvent>>>
{
    public sealed class Validator : AbstractValidator<FollowContradictions>
    {
        public Validator()
        {
            RuleFor(q => q.ActorId).Slug().OverridePropertyName("actorId");
            RuleFor(q => q.PropositionKey).PropositionKey().OverridePropertyName("propositionKey");
        }
    }

    public sealed class Handler(ContradictionFeed feed) : IRequestHandler<FollowContradictions, IAsyncEnumerable<IReadOnlyList<ServerSentEvent>>>
    {
        public async ValueTask<IAsyncEnumerable<IReadOnlyList<ServerSentEvent>>> Handle(FollowContradictions query, CancellationToken cancellationToken)
        {
            var (actor, proposition) = (query.ActorId, query.PropositionKey);
            return await feed.FollowAsync(
                c => (actor is null || c.ActorIds.Contains(actor)) && (proposition is null || c.PropositionKey == proposition),
                cancellationToken);
        }
    }
}

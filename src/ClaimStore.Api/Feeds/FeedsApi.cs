using Mediator;
using Microsoft.AspNetCore.Mvc;

namespace ClaimStore.Api.Feeds;

/// <summary>Live feeds as Server-Sent Events: the global log, and changes of the contradiction list.</summary>
internal static class FeedsApi
{
    public static IEndpointRouteBuilder MapFeeds(this IEndpointRouteBuilder routes)
    {
        var feeds = routes.MapGroup("/").WithTags("Live feeds");
        feeds.MapGet("/events/stream", FollowEvents).WithName(nameof(FollowEvents))
            .Produces<string>(StatusCodes.Status200OK, ServerSentEventsResult.MediaType);
        feeds.MapGet("/contradictions/stream", FollowContradictions).WithName(nameof(FollowContradictions))
            .Produces<string>(StatusCodes.Status200OK, ServerSentEventsResult.MediaType);
        return routes;
    }

    public static async Task<ServerSentEventsResult> FollowEvents(
        [FromHeader(Name = Feeds.FollowEvents.LastEventIdHeader)] string? lastEventId, long? afterSequence, string? actorId,
        string? propositionKey, IMediator mediator, CancellationToken cancellationToken) =>
        new(await mediator.Send(new FollowEvents(lastEventId, afterSequence, actorId, propositionKey), cancellationToken), "events");

    public static async Task<ServerSentEventsResult> FollowContradictions(
        string? actorId, string? propositionKey, IMediator mediator, CancellationToken cancellationToken) =>
        new(await mediator.Send(new FollowContradictions(actorId, propositionKey), cancellationToken), "contradictions");
}

using ClaimStore.Api.Http;
using Mediator;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ClaimStore.Api.Timelines;

/// <summary>How an actor's positions moved along valid time.</summary>
internal static class TimelinesApi
{
    public static IEndpointRouteBuilder MapTimelines(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/actors/{actorId}/timeline", GetTimeline).WithTags("Positions").WithName(nameof(GetTimeline));
        return routes;
    }

    public static async Task<Results<Ok<TimelineView>, NotFoundProblem>> GetTimeline(
        string actorId, string? propositionKey, string? knownAt, IMediator mediator, CancellationToken cancellationToken) =>
        await mediator.Send(new GetTimeline(actorId, propositionKey, knownAt), cancellationToken) is { } timeline
            ? TypedResults.Ok(timeline)
            : Problems.NotFound($"Actor '{actorId}' is not registered.");
}

using Mediator;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ClaimStore.Api.Contradictions;

/// <summary>Where actors contradict each other or themselves.</summary>
internal static class ContradictionsApi
{
    public static IEndpointRouteBuilder MapContradictions(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/contradictions", GetContradictions).WithTags("Contradictions").WithName(nameof(GetContradictions));
        return routes;
    }

    public static async Task<Ok<IAsyncEnumerable<ContradictionView>>> GetContradictions(
        string? actorId, string? propositionKey, string? kind, string? status, IMediator mediator, CancellationToken cancellationToken) =>
        TypedResults.Ok(await mediator.Send(new GetContradictions(actorId, propositionKey, kind, status), cancellationToken));
}

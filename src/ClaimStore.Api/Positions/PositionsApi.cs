using ClaimStore.Api.Http;
using Mediator;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ClaimStore.Api.Positions;

/// <summary>What an actor holds, now or at any past time.</summary>
internal static class PositionsApi
{
    public static IEndpointRouteBuilder MapPositions(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/actors/{actorId}/positions", GetPositions).WithTags("Positions").WithName(nameof(GetPositions));
        return routes;
    }

    public static async Task<Results<Ok<PositionsView>, SerializedJson<PositionsView>, NotFoundProblem>> GetPositions(
        string actorId, string? asOf, string? knownAt, IMediator mediator, CancellationToken cancellationToken) =>
        await mediator.Send(new GetPositions(actorId, asOf, knownAt), cancellationToken) switch
        {
            { Json: { } json } => new SerializedJson<PositionsView>(json),
            { View: { } view } => TypedResults.Ok(view),
            _ => Problems.NotFound($"Actor '{actorId}' is not registered."),
        };
}

using ClaimStore.Api.Http;
using Mediator;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ClaimStore.Api.Propositions;

/// <summary>Which actors affirm or deny what, now.</summary>
internal static class PropositionsApi
{
    public static IEndpointRouteBuilder MapPropositions(this IEndpointRouteBuilder routes)
    {
        var propositions = routes.MapGroup("/propositions").WithTags("Propositions");
        propositions.MapGet("/", GetPropositions).WithName(nameof(GetPropositions));
        propositions.MapGet("/{propositionKey}", GetProposition).WithName(nameof(GetProposition));
        return routes;
    }

    public static async Task<Ok<IAsyncEnumerable<PropositionSummary>>> GetPropositions(IMediator mediator, CancellationToken cancellationToken) =>
        TypedResults.Ok(await mediator.Send(new GetPropositions(), cancellationToken));

    public static async Task<Results<Ok<PropositionDetail>, NotFoundProblem>> GetProposition(
        string propositionKey, IMediator mediator, CancellationToken cancellationToken) =>
        await mediator.Send(new GetProposition(propositionKey), cancellationToken) is { } proposition
            ? TypedResults.Ok(proposition)
            : Problems.NotFound($"No live claim is about '{propositionKey}'.");
}

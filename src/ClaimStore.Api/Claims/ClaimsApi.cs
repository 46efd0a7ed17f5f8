using ClaimStore.Api.Auth;
using ClaimStore.Api.Http;
using ClaimStore.Domain.Claims;
using Mediator;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace ClaimStore.Api.Claims;

/// <summary>Recording, reading and retracting claims.</summary>
internal static class ClaimsApi
{
    public static IEndpointRouteBuilder MapClaims(this IEndpointRouteBuilder routes)
    {
        var actorClaims = routes.MapGroup("/actors/{actorId}/claims").WithTags("Claims");
        actorClaims.MapPost("/", RecordClaim).WithName(nameof(RecordClaim)).RequireWriter();
        actorClaims.MapGet("/", GetClaims).WithName(nameof(GetClaims));
        actorClaims.MapGet("/{claimId:guid}", GetClaim).WithName(nameof(GetClaim));
        actorClaims.MapPost("/{claimId:guid}/retraction", RetractClaim).WithName(nameof(RetractClaim)).RequireWriter();

        routes.MapPost("/claims/batch", RecordClaimBatch).WithTags("Claims").WithName(nameof(RecordClaimBatch))
            .RequireWriter().WithMaxBodySize(RequestLimits.MaxBatchBodyBytes);
        return routes;
    }

    public static async Task<Results<Created<ClaimAccepted>, Ok<ClaimAccepted>, NotFoundProblem, ConflictProblem>>
        RecordClaim(string actorId, ClaimInput claim, IMediator mediator, CancellationToken cancellationToken)
    {
        var outcome = await mediator.Send(new RecordClaim(actorId, claim), cancellationToken);
        return outcome.Status switch
        {
            RecordStatus.Created => TypedResults.Created(
                $"/actors/{actorId}/claims/{outcome.ClaimId}", ClaimAccepted.From(outcome.Claim!)),
            RecordStatus.Unchanged => TypedResults.Ok(ClaimAccepted.From(outcome.Claim!)),
            RecordStatus.ActorNotFound => Problems.NotFound(outcome.Detail!),
            _ => Problems.Conflict(outcome.Detail!),
        };
    }

    public static async Task<Ok<BatchResult>> RecordClaimBatch(
        RecordClaimBatch batch, IMediator mediator, CancellationToken cancellationToken) =>
        TypedResults.Ok(await mediator.Send(batch, cancellationToken));

    public static async Task<Results<Ok<IEnumerable<ClaimView>>, NotFoundProblem>> GetClaims(
        string actorId, IMediator mediator, CancellationToken cancellationToken)
    {
        var snapshot = await mediator.Send(new GetClaims(actorId), cancellationToken);
        return snapshot is null
            ? Problems.NotFound($"Actor '{actorId}' is not registered.")
            : TypedResults.Ok(snapshot.Claims.Select(ClaimView.From));
    }

    public static async Task<Results<Ok<ClaimView>, NotFoundProblem>> GetClaim(
        string actorId, Guid claimId, IMediator mediator, CancellationToken cancellationToken)
    {
        var claim = (await mediator.Send(new GetClaims(actorId), cancellationToken))?.FindClaim(claimId);
        return claim is null
            ? Problems.NotFound($"Actor '{actorId}' has no claim '{claimId}'.")
            : TypedResults.Ok(ClaimView.From(claim));
    }

    public static async Task<Results<Ok<ClaimView>, NotFoundProblem>> RetractClaim(
        string actorId, Guid claimId, [FromBody] RetractionInput? body, IMediator mediator, CancellationToken cancellationToken)
    {
        var outcome = await mediator.Send(new RetractClaim(actorId, claimId, body?.Reason), cancellationToken);
        return outcome.Status == RetractStatus.NotFound
            ? Problems.NotFound($"Actor '{actorId}' has no claim '{claimId}'.")
            : TypedResults.Ok(ClaimView.From(outcome.Claim!));
    }
}

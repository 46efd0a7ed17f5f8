using ClaimStore.Api.Auth;
using ClaimStore.Api.Http;
using ClaimStore.Domain.Actors;
using System.Security.Claims;
using Mediator;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ClaimStore.Api.Actors;

/// <summary>Registering and listing the actors who make claims.</summary>
internal static class ActorsApi
{
    public static IEndpointRouteBuilder MapActors(this IEndpointRouteBuilder routes)
    {
        var actors = routes.MapGroup("/actors").WithTags("Actors");
        actors.MapPut("/{actorId}", RegisterActor).WithName(nameof(RegisterActor)).RequireWriter();
        actors.MapGet("/", GetActors).WithName(nameof(GetActors));
        actors.MapGet("/{actorId}", GetActor).WithName(nameof(GetActor));
        actors.MapPost("/{actorId}/erasure", EraseActor).WithName(nameof(EraseActor)).RequireAdmin();
        return routes;
    }

    public static async Task<Results<Created<ActorView>, Ok<ActorView>>> RegisterActor(
        string actorId, ActorInput actor, IMediator mediator, CancellationToken cancellationToken)
    {
        var result = await mediator.Send(new RegisterActor(actorId, actor), cancellationToken);
        var view = new ActorView(actorId, result.Profile.Name, result.Profile.Kind, result.Profile.Aliases, result.ClaimCount);
        return result.Status == RegistrationStatus.Created
            ? TypedResults.Created($"/actors/{actorId}", view)
            : TypedResults.Ok(view);
    }

    public static async Task<Ok<IReadOnlyList<ActorView>>> GetActors(IMediator mediator, CancellationToken cancellationToken) =>
        TypedResults.Ok(await mediator.Send(new GetActors(), cancellationToken));

    /// <summary>The key's name goes into the event; without keys configured (Development) the request is anonymous.</summary>
    public static async Task<Results<Ok<ErasureView>, NotFoundProblem>> EraseActor(
        string actorId, ClaimsPrincipal user, IMediator mediator, CancellationToken cancellationToken)
    {
        var erasedBy = user.Identity?.Name ?? "anonymous";
        var result = await mediator.Send(new EraseActor(actorId, erasedBy), cancellationToken);
        return result.Status == ErasureStatus.ActorNotFound
            ? Problems.NotFound($"Actor '{actorId}' is not registered.")
            : TypedResults.Ok(new ErasureView(actorId, result.Status == ErasureStatus.Erased ? "erased" : "alreadyErased",
                result.Version, result.RewrittenEvents, erasedBy));
    }

    public static async Task<Results<Ok<ActorView>, NotFoundProblem>> GetActor(
        string actorId, IMediator mediator, CancellationToken cancellationToken) =>
        await mediator.Send(new GetActor(actorId), cancellationToken) is { } actor
            ? TypedResults.Ok(actor)
            : Problems.NotFound($"Actor '{actorId}' is not registered.");
}

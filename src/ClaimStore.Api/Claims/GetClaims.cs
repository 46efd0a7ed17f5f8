using ClaimStore.Grains.Actors;
using Mediator;

namespace ClaimStore.Api.Claims;

/// <summary>
/// An actor's claims in stream order, from its grain, so a claim is visible as soon as the POST
/// that recorded it has returned. Null when the actor is not registered.
/// </summary>
public sealed record GetClaims(string ActorId) : IRequest<ActorSnapshot?>
{
    public sealed class Handler(IGrainFactory grains) : IRequestHandler<GetClaims, ActorSnapshot?>
    {
        public async ValueTask<ActorSnapshot?> Handle(GetClaims query, CancellationToken cancellationToken)
        {
            // A malformed id can name no actor: answer without activating a grain for it.
            if (!Domain.Common.Slug.IsValid(query.ActorId))
            {
                return null;
            }

            var snapshot = await grains.GetGrain<IActorGrain>(query.ActorId).GetSnapshotAsync();
            return snapshot.IsRegistered ? snapshot : null;
        }
    }
}

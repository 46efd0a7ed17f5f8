using ClaimStore.Domain.Actors;
using ClaimStore.Grains.Actors;
using Mediator;

namespace ClaimStore.Api.Actors;

/// <summary>
/// Erase a person's name, aliases and the text of the claims that name them (GDPR, decision 0015); idempotent.
/// <paramref name="ErasedBy"/> is the name of the API key that asked, recorded in the <see cref="ActorErased"/> event.
/// </summary>
public sealed record EraseActor(string ActorId, string ErasedBy) : IRequest<ErasureResult>
{
    public sealed class Handler(IGrainFactory grains) : IRequestHandler<EraseActor, ErasureResult>
    {
        public async ValueTask<ErasureResult> Handle(EraseActor command, CancellationToken cancellationToken) =>
            Domain.Common.Slug.IsValid(command.ActorId)
                ? await grains.GetActorGrain(command.ActorId).EraseAsync(command.ErasedBy)
                : new ErasureResult(ErasureStatus.ActorNotFound, 0, 0);
    }
}

/// <summary>The answer to an erasure: <c>erased</c> now or <c>alreadyErased</c>, and how many stored events it rewrote.</summary>
public sealed record ErasureView(string ActorId, string Status, long Version, int RewrittenEvents, string ErasedBy);

using ClaimStore.Api.Http;
using ClaimStore.Domain.Actors;
using FluentValidation;
using ClaimStore.Grains.Actors;
using Mediator;

namespace ClaimStore.Api.Actors;

/// <summary>
/// Erase a person's name, aliases and the text of the claims that name them (GDPR, decision 0015); idempotent.
/// <paramref name="ErasedBy"/> is the name of the API key that asked, recorded in the <see cref="ActorErased"/> event.
/// </summary>
public sealed record EraseActor(string ActorId, string ErasedBy) : IRequest<ErasureResult>
{
    public sealed class Validator : AbstractValidator<EraseActor>
    {
        public Validator()
        {
            RuleFor(c => c.ActorId).NotEmpty().Slug().OverridePropertyName("actorId");
        }
    }

    public sealed class Handler(IGrainFactory grains) : IRequestHandler<EraseActor, ErasureResult>
    {
        public async ValueTask<ErasureResult> Handle(EraseActor command, CancellationToken cancellationToken) =>
            await grains.GetActorGrain(command.ActorId).EraseAsync(command.ErasedBy);
    }
}

/// <summary>The answer to an erasure: <c>erased</c> now or <c>alreadyErased</c>, and how many stored events it rewrote.</summary>
public sealed record ErasureView(string ActorId, string Status, long Version, int RewrittenEvents, string ErasedBy);

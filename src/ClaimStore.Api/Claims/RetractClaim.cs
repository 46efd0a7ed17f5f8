using ClaimStore.Api.Http;
using ClaimStore.Domain.Claims;
using ClaimStore.Grains.Actors;
using FluentValidation;
using Mediator;

namespace ClaimStore.Api.Claims;

/// <summary>Withdraw a claim from the record; idempotent.</summary>
public sealed record RetractClaim(string ActorId, Guid ClaimId, string? Reason) : IRequest<RetractOutcome>
{
    public const int MaxReasonLength = 1000;

    public sealed class Validator : AbstractValidator<RetractClaim>
    {
        public Validator()
        {
            RuleFor(c => c.Reason).Text(MaxReasonLength).OverridePropertyName("reason");
        }
    }

    public sealed class Handler(IGrainFactory grains) : IRequestHandler<RetractClaim, RetractOutcome>
    {
        public async ValueTask<RetractOutcome> Handle(RetractClaim command, CancellationToken cancellationToken) =>
            Domain.Common.Slug.IsValid(command.ActorId)
                ? await grains.GetGrain<IActorGrain>(command.ActorId).RetractClaimAsync(command.ClaimId, command.Reason)
                : new RetractOutcome(RetractStatus.NotFound, null);
    }
}

/// <summary>The optional body of a retraction.</summary>
public sealed record RetractionInput(string? Reason);

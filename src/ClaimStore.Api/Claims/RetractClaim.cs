using ClaimStore.Api.Http;
using ClaimStore.Domain.Claims;
using ClaimStore.Grains.Actors;
using ClaimStore.Storage;
using FluentValidation;
using Mediator;

namespace ClaimStore.Api.Claims;

/// <summary>Withdraw a claim from the record; idempotent.</summary>
public sealed record RetractClaim(string ActorId, Guid ClaimId, string? Reason) : IRequest<RetractResult>
{
    public const int MaxReasonLength = 1000;

    public sealed class Validator : AbstractValidator<RetractClaim>
    {
        public Validator()
        {
            RuleFor(c => c.Reason).Text(MaxReasonLength).OverridePropertyName("reason");
        }
    }

    public sealed class Handler(IGrainFactory grains, EventLog log) : IRequestHandler<RetractClaim, RetractResult>
    {
        public async ValueTask<RetractResult> Handle(RetractClaim command, CancellationToken cancellationToken)
        {
            if (!Domain.Common.Slug.IsValid(command.ActorId))
            {
                return new RetractResult(RetractStatus.NotFound, null);
            }

            var outcome = await grains.GetActorGrain(command.ActorId).RetractClaimAsync(command.ClaimId, command.Reason);
            if (outcome.Status == RetractStatus.NotFound)
            {
                return new RetractResult(RetractStatus.NotFound, null);
            }

            // The answer shows the claim as stored, with the reason and time of its retraction.
            var stored = await StoredClaims.LoadAsync(log, command.ActorId, cancellationToken);
            return new RetractResult(outcome.Status, stored?.FindClaim(command.ClaimId));
        }
    }
}

/// <summary>What a retraction came to, and the claim as it stands afterwards.</summary>
public sealed record RetractResult(RetractStatus Status, RecordedClaim? Claim);

/// <summary>The optional body of a retraction.</summary>
public sealed record RetractionInput(string? Reason);

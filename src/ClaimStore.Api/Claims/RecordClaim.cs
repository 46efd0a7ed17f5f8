using ClaimStore.Api.Http;
using ClaimStore.Domain.Claims;
using ClaimStore.Grains.Actors;
using FluentValidation;
using Mediator;

namespace ClaimStore.Api.Claims;

/// <summary>Record one claim of <paramref name="ActorId"/> (from the path).</summary>
public sealed record RecordClaim(string ActorId, ClaimInput Claim) : IRequest<RecordOutcome>
{
    public sealed class Validator : AbstractValidator<RecordClaim>
    {
        public Validator(TimeProvider clock)
        {
            RuleFor(c => c.ActorId).Slug().OverridePropertyName("actorId");
            // The claim's own fields are reported at the top level, as the client sent them.
            RuleFor(c => c.Claim).SetValidator(new ClaimInput.Validator(clock)).OverridePropertyName("");
            RuleFor(c => c.Claim.ActorId)
                .Must((c, bodyActor) => bodyActor is null || bodyActor == c.ActorId)
                .WithMessage("Must be absent or equal to the actor in the path.")
                .OverridePropertyName("actorId");
        }
    }

    public sealed class Handler(IGrainFactory grains) : IRequestHandler<RecordClaim, RecordOutcome>
    {
        public async ValueTask<RecordOutcome> Handle(RecordClaim command, CancellationToken cancellationToken)
        {
            var submission = command.Claim.ToSubmission(Guid.CreateVersion7);
            var outcomes = await grains.GetActorGrain(command.ActorId).RecordClaimsAsync([submission]);
            return outcomes[0];
        }
    }
}

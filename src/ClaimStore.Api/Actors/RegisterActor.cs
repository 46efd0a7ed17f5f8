using ClaimStore.Api.Http;
using ClaimStore.Grains.Actors;
using FluentValidation;
using Mediator;

namespace ClaimStore.Api.Actors;

/// <summary>Register an actor, or change its profile; idempotent.</summary>
public sealed record RegisterActor(string ActorId, ActorInput Actor) : IRequest<RegistrationResult>
{
    public sealed class Validator : AbstractValidator<RegisterActor>
    {
        public Validator()
        {
            RuleFor(c => c.ActorId).NotEmpty().Slug().OverridePropertyName("actorId");
            RuleFor(c => c.Actor.Name).NotEmpty().WithMessage("Required.")
                .Must(n => n is null || n.Trim().Length > 0).WithMessage("Required.")
                .Text(ActorInput.MaxNameLength).OverridePropertyName("name");
            RuleFor(c => c.Actor.Kind).NotEmpty().WithMessage("Required.")
                .OneOf(ActorInput.Kinds).OverridePropertyName("kind");
            RuleFor(c => c.Actor.Aliases)
                .Must(a => a is null || a.Count <= ActorInput.MaxAliases)
                .WithMessage($"At most {ActorInput.MaxAliases} aliases.")
                .OverridePropertyName("aliases");
            RuleForEach(c => c.Actor.Aliases)
                .Must(a => !string.IsNullOrWhiteSpace(a)).WithMessage("Required.")
                .Text(ActorInput.MaxNameLength).OverridePropertyName("aliases");
        }
    }

    public sealed class Handler(IGrainFactory grains) : IRequestHandler<RegisterActor, RegistrationResult>
    {
        public async ValueTask<RegistrationResult> Handle(RegisterActor command, CancellationToken cancellationToken) =>
            await grains.GetActorGrain(command.ActorId).RegisterAsync(command.Actor.ToProfile());
    }
}

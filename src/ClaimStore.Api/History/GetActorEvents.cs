using ClaimStore.Api.Http;
using ClaimStore.Storage;
using FluentValidation;
using Mediator;

namespace ClaimStore.Api.History;

/// <summary>An actor's raw event stream from <paramref name="FromVersion"/> on; null when the stream does not exist.</summary>
public sealed record GetActorEvents(string ActorId, long FromVersion) : IRequest<IReadOnlyList<StreamEvent>?>
{
    public sealed class Validator : AbstractValidator<GetActorEvents>
    {
        public Validator()
        {
            RuleFor(q => q.FromVersion).GreaterThanOrEqualTo(1).WithMessage("Must be 1 or more.")
                .OverridePropertyName("fromVersion");
        }
    }

    public sealed class Handler(EventLog log) : IRequestHandler<GetActorEvents, IReadOnlyList<StreamEvent>?>
    {
        public async ValueTask<IReadOnlyList<StreamEvent>?> Handle(GetActorEvents query, CancellationToken cancellationToken)
        {
            if (!Domain.Common.Slug.IsValid(query.ActorId))
            {
                return null;
            }

            var events = await log.ReadStreamAsync(query.ActorId, query.FromVersion, cancellationToken);
            return events is null ? null : [.. events.Select(StreamEvent.From)];
        }
    }
}

using ClaimStore.Api.Http;
using FluentValidation;
using Marten;
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

    public sealed class Handler(IDocumentStore store) : IRequestHandler<GetActorEvents, IReadOnlyList<StreamEvent>?>
    {
        public async ValueTask<IReadOnlyList<StreamEvent>?> Handle(GetActorEvents query, CancellationToken cancellationToken)
        {
            if (!Domain.Common.Slug.IsValid(query.ActorId))
            {
                return null;
            }

            await using var session = store.QuerySession();
            var state = await session.Events.FetchStreamStateAsync(query.ActorId, cancellationToken);
            if (state is null)
            {
                return null;
            }

            var events = await session.Events.FetchStreamAsync(
                query.ActorId, fromVersion: query.FromVersion, token: cancellationToken);
            return [.. events.Select(StreamEvent.From)];
        }
    }
}

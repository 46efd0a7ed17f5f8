using ClaimStore.Storage;
using Mediator;

namespace ClaimStore.Api.Actors;

/// <summary>Every registered actor, sorted by id.</summary>
public sealed record GetActors : IRequest<IReadOnlyList<ActorView>>
{
    public sealed class Handler(ActorDirectory directory) : IRequestHandler<GetActors, IReadOnlyList<ActorView>>
    {
        public async ValueTask<IReadOnlyList<ActorView>> Handle(GetActors query, CancellationToken cancellationToken)
        {
            var actors = await directory.ReadAsync(null, cancellationToken);
            // Ordinal order, whatever the database collation says.
            return [.. actors.OrderBy(a => a.Summary.Id, StringComparer.Ordinal).Select(a => ActorView.From(a.Summary, a.ClaimCount))];
        }
    }
}

/// <summary>One actor; null when it was never registered.</summary>
public sealed record GetActor(string ActorId) : IRequest<ActorView?>
{
    public sealed class Handler(ActorDirectory directory) : IRequestHandler<GetActor, ActorView?>
    {
        public async ValueTask<ActorView?> Handle(GetActor query, CancellationToken cancellationToken) =>
            await directory.ReadAsync(query.ActorId, cancellationToken) is [var actor]
                ? ActorView.From(actor.Summary, actor.ClaimCount)
                : null;
    }
}

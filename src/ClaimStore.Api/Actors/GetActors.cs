using ClaimStore.Grains.Storage;
using Marten;
using Mediator;

namespace ClaimStore.Api.Actors;

/// <summary>Every registered actor, sorted by id.</summary>
public sealed record GetActors : IRequest<IReadOnlyList<ActorView>>
{
    public sealed class Handler(IDocumentStore store) : IRequestHandler<GetActors, IReadOnlyList<ActorView>>
    {
        public async ValueTask<IReadOnlyList<ActorView>> Handle(GetActors query, CancellationToken cancellationToken)
        {
            await using var session = store.QuerySession();
            var actors = await session.Query<ActorSummary>().OrderBy(a => a.Id).ToListAsync(cancellationToken);
            // Ordinal order, whatever the database collation says.
            return [.. actors.OrderBy(a => a.Id, StringComparer.Ordinal).Select(ActorView.From)];
        }
    }
}

/// <summary>One actor; null when it was never registered.</summary>
public sealed record GetActor(string ActorId) : IRequest<ActorView?>
{
    public sealed class Handler(IDocumentStore store) : IRequestHandler<GetActor, ActorView?>
    {
        public async ValueTask<ActorView?> Handle(GetActor query, CancellationToken cancellationToken)
        {
            await using var session = store.QuerySession();
            var summary = await session.LoadAsync<ActorSummary>(query.ActorId, cancellationToken);
            return summary is null ? null : ActorView.From(summary);
        }
    }
}

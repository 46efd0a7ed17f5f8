using ClaimStore.Domain.Claims;
using ClaimStore.Storage;
using Mediator;

namespace ClaimStore.Api.Claims;

/// <summary>
/// An actor's claims in stream order, read from the store: every acknowledged claim is committed
/// before its POST returns, so it is here as soon as the client has its answer. Null when the
/// actor has no stream (never registered).
/// </summary>
public sealed record GetClaims(string ActorId) : IRequest<StoredClaims?>
{
    public sealed class Handler(EventLog log) : IRequestHandler<GetClaims, StoredClaims?>
    {
        public async ValueTask<StoredClaims?> Handle(GetClaims query, CancellationToken cancellationToken) =>
            await StoredClaims.LoadAsync(log, query.ActorId, cancellationToken);
    }
}

/// <summary>The full claims of one actor, as the event store holds them.</summary>
public sealed record StoredClaims(IReadOnlyList<RecordedClaim> Claims)
{
    public RecordedClaim? FindClaim(Guid claimId) => Claims.FirstOrDefault(c => c.ClaimId == claimId);

    public static async Task<StoredClaims?> LoadAsync(EventLog log, string actorId, CancellationToken cancellationToken)
    {
        // A malformed id can name no stream.
        if (!Domain.Common.Slug.IsValid(actorId))
        {
            return null;
        }

        var events = await log.ReadStreamAsync(actorId, 1, cancellationToken);
        return events is null ? null : new StoredClaims(ClaimHistory.Fold(events.Select(e => (e.Version, e.Event!))));
    }
}

using System.Collections.Immutable;
using ClaimStore.Domain.Actors;

namespace ClaimStore.Domain.Claims;

/// <summary>The full claims of one actor stream, folded from its events, for reading and display.</summary>
public static class ClaimHistory
{
    /// <summary>Claims in stream order, each marked with its retraction if it has one.</summary>
    public static ImmutableList<RecordedClaim> Fold(IEnumerable<(long Version, IActorEvent Event)> events)
    {
        var claims = ImmutableList.CreateBuilder<RecordedClaim>();
        var index = new Dictionary<Guid, int>();
        foreach (var (version, @event) in events)
        {
            switch (@event)
            {
                case ClaimRecorded e:
                    index[e.ClaimId] = claims.Count;
                    claims.Add(new RecordedClaim(e.ClaimId, e.ActorId, e.Claim, version, e.RecordedAt, null));
                    break;
                case ClaimRetracted e when index.TryGetValue(e.ClaimId, out var at):
                    claims[at] = claims[at] with { Retraction = new Retraction(e.Reason, e.RecordedAt) };
                    break;
            }
        }

        return claims.ToImmutable();
    }
}

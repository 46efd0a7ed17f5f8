using ClaimStore.Api.Search;
using ClaimStore.Domain.Claims;
using ClaimStore.Domain.Contradictions;
using ClaimStore.Storage;
using Mediator;

namespace ClaimStore.Api.History;

/// <summary>
/// One step of the workbench's replay: the last event of the log at or before <paramref name="Step"/> (sequence
/// numbers can have gaps), the next event, and the contradictions on the proposition the event touches as they stood
/// after it: the read side's rules (<see cref="ContradictionDetector"/>) applied to that proposition's claims live at
/// the event. A step reads that proposition's claims through the search index, never the log before it, so its cost
/// follows the proposition, not the step's place in the log. Null when the log holds no event yet.
/// </summary>
public sealed record GetReplayStep(long Step) : IRequest<ReplayStep?>
{
    public sealed class Handler(IMediator mediator, ActorStreams streams, ClaimSearchIndex index, ClaimSearchIndexer indexer)
        : IRequestHandler<GetReplayStep, ReplayStep?>
    {
        public async ValueTask<ReplayStep?> Handle(GetReplayStep query, CancellationToken cancellationToken)
        {
            var (step, next, horizon) = await LocateAsync(query.Step, cancellationToken);
            if (step is null && horizon > 0 && query.Step > horizon)
            {
                // Appends in flight hold the horizon below the step: the step is the last event the log shows whole.
                (step, next, horizon) = await LocateAsync(horizon, cancellationToken);
            }

            if (step is null)
            {
                return null;
            }

            var last = Math.Max(step.Sequence, horizon);
            var (claimId, retraction) = step.Data switch
            {
                ClaimRecorded e => (e.ClaimId, false),
                ClaimRetracted e => (e.ClaimId, true),
                _ => (Guid.Empty, false),
            };
            if (claimId == Guid.Empty)
            {
                return new ReplayStep(step, next, last, null, [], []);
            }

            // The index follows the log; a search waits for it in the same way.
            await indexer.CatchUpAsync(cancellationToken);
            var claims = await index.ClaimsOfPropositionUpToAsync(claimId, step.Sequence, cancellationToken);
            if (claims.FirstOrDefault(c => c.Claim.ClaimId == claimId) is not { } stepClaim)
            {
                return new ReplayStep(step, next, last, null, [], []);
            }

            var key = stepClaim.Claim.Proposition.Key;
            var live = claims.Where(c => c.IsLiveAt(step.Sequence)).Select(c => c.Claim).ToList();
            var contradictions = ContradictionDetector.Detect(key, live);
            // A retraction ends the contradictions its claim held: those of the claims live just before it.
            IReadOnlyList<Contradiction> withdrawn = retraction
                ? [.. ContradictionDetector.Detect(key, [.. live, stepClaim.Claim]).Where(c => c.ClaimIds.Contains(claimId))]
                : [];
            return new ReplayStep(step, next, last, key, contradictions, withdrawn);
        }

        /// <summary>The last event at or before <paramref name="sequence"/> (or the first of the log), the one after it, and the horizon they were read up to.</summary>
        private async Task<(FeedEvent? Step, long? Next, long Horizon)> LocateAsync(long sequence, CancellationToken cancellationToken)
        {
            var at = await streams.LogSequenceAtOrBeforeAsync(sequence, cancellationToken) ?? 1;
            var slice = await mediator.Send(new GetEvents(at - 1, 2, Streamed: true), cancellationToken);
            var events = new List<FeedEvent>(2);
            await foreach (var e in slice.Events)
            {
                events.Add(e);
            }

            return (events.FirstOrDefault(), events.Count > 1 ? events[1].Sequence : null, slice.Horizon);
        }
    }
}

/// <summary>
/// What the replay shows at one step: the event, the sequence of the next one (null at the end), the log's last sequence,
/// and, for an event of a claim, the claim's proposition with its contradictions as they stood after the event and,
/// for a retraction, those the withdrawn claim held until then.
/// </summary>
public sealed record ReplayStep(
    FeedEvent Event, long? Next, long Last, string? PropositionKey,
    IReadOnlyList<Contradiction> Contradictions, IReadOnlyList<Contradiction> Withdrawn);

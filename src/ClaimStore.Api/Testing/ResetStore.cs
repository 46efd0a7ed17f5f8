using System.Diagnostics;
using ClaimStore.Api.Feeds;
using ClaimStore.Api.Positions;
using ClaimStore.Api.ReadModel;
using ClaimStore.Api.Search;
using ClaimStore.Grains.Actors;
using ClaimStore.Storage;
using Mediator;
using Orleans.Core.Internal;

namespace ClaimStore.Api.Testing;

/// <summary>What a reset did: actor activations ended across the cluster, and how long it took.</summary>
public sealed record StoreResetReport(int ActorsDeactivated, double Milliseconds);

/// <summary>The actor activations of the cluster did not all end in time; nothing was emptied.</summary>
public sealed class ResetTimedOutException(int stillActive)
    : Exception($"{stillActive} actor activations were still active after {ResetStore.DeactivationWait.TotalSeconds:0} s; nothing was emptied.");

/// <summary>
/// Empties the store and this host's read side, for test suites (decision 0013). Actor activations
/// end first, everywhere in the cluster, so none writes a snapshot of the old store into the new one;
/// then the tables are emptied and this host's log followers start over. Other hosts' followers are
/// rewound by calling them too: their state lives in their own process.
/// </summary>
public sealed record ResetStore : IRequest<StoreResetReport>
{
    public static readonly TimeSpan DeactivationWait = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan DeactivationPoll = TimeSpan.FromMilliseconds(10);

    public sealed class Handler(
        IGrainFactory grains, StoreReset store, ReadSideProjector readSide, LiveEventLog liveLog,
        ClaimSearchIndexer search, CurrentPositionsCache positions) : IRequestHandler<ResetStore, StoreResetReport>
    {
        public async ValueTask<StoreResetReport> Handle(ResetStore command, CancellationToken cancellationToken)
        {
            var started = Stopwatch.GetTimestamp();
            var deactivated = await DeactivateActorsAsync(cancellationToken);
            await store.EmptyAsync(cancellationToken);
            positions.Clear();
            await Task.WhenAll(readSide.RewindAsync(), liveLog.RewindAsync(), search.RewindAsync()).WaitAsync(cancellationToken);
            return new StoreResetReport(deactivated, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }

        private async Task<int> DeactivateActorsAsync(CancellationToken cancellationToken)
        {
            var management = grains.GetGrain<IManagementGrain>(0);
            // A reference is only an address: making one activates nothing.
            var actorType = grains.GetActorGrain("-").GetGrainId().Type;
            var waited = Stopwatch.StartNew();
            var deactivated = new HashSet<GrainId>();
            while (true)
            {
                var active = await management.GetActiveGrains(actorType);
                if (active.Count == 0)
                {
                    return deactivated.Count;
                }

                if (waited.Elapsed > DeactivationWait)
                {
                    throw new ResetTimedOutException(active.Count);
                }

                deactivated.UnionWith(active);
                await Task.WhenAll(active.Select(id => grains.GetGrain(id).Cast<IGrainManagementExtension>().DeactivateOnIdle().AsTask()));
                await Task.Delay(DeactivationPoll, cancellationToken);
            }
        }
    }
}

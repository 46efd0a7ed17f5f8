using System.Runtime;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace ClaimStore.Api.Hosting;

/// <summary>
/// The <c>Memory</c> configuration section: whether the host compacts its heap and gives the freed
/// memory back to the operating system once a burst of load is over (see <see cref="IdleCompaction"/>).
/// </summary>
public sealed class MemorySettings
{
    public bool CompactWhenIdle { get; set; } = true;
}

/// <summary>
/// Returns memory to the operating system after the load stops. The GC only runs when the program
/// allocates, so a host that goes quiet keeps the heap it grew under load: after ingesting a million
/// claims it held about 940 MiB of RSS, and still as much 200 s later (docs/benchmarks.md). Once the host has been quiet for <see cref="IdleCompactionSchedule.QuietFor"/>,
/// this runs one blocking, compacting collection, and once more, aggressive this time (it also decommits the
/// free regions), after the grain collection age and two collection quanta, when the idle actors' state is garbage.
/// It never runs under load: "quiet" means allocating less than about 1 MiB/s, and each collection
/// happens at most once per quiet spell.
/// </summary>
internal sealed partial class IdleCompaction(
    IOptions<GrainCollectionOptions> grainCollection, IOptions<MemorySettings> settings, ILogger<IdleCompaction> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!settings.Value.CompactWhenIdle)
        {
            return;
        }

        // Idle actors leave at a collection pass after their age, which Orleans rounds up to its quantum:
        // up to two quanta later (measured: actors with an age of 61 s left 125-155 s after their last call).
        var options = grainCollection.Value;
        var schedule = new IdleCompactionSchedule(options.CollectionAge + 2 * options.CollectionQuantum);
        using var timer = new PeriodicTimer(IdleCompactionSchedule.CheckEvery);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                var due = schedule.Observe(TimeProvider.System.GetTimestamp(), GC.GetTotalAllocatedBytes());
                if (due != IdleCollection.None)
                {
                    Compact(due);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The host is stopping.
        }
    }

    private void Compact(IdleCollection due)
    {
        var before = Environment.WorkingSet;
        var started = TimeProvider.System.GetTimestamp();
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        // Right after a load, a plain compacting collection: an aggressive one also decommits the free
        // regions and shrinks the GC's budgets, and the next burst then ran ~30 % slower for its first
        // tens of seconds (append benchmark: host CPU per claim 216-271 instead of 163-189 µs). Once the
        // actors have left, minutes after the load, memory goes back to the operating system.
        var mode = due == IdleCollection.AfterActorsLeft ? GCCollectionMode.Aggressive : GCCollectionMode.Forced;
        GC.Collect(GC.MaxGeneration, mode, blocking: true, compacting: true);
        var after = GC.GetGCMemoryInfo();
        LogCompacted(logger, before >> 20, Environment.WorkingSet >> 20, after.HeapSizeBytes >> 20,
            TimeProvider.System.GetElapsedTime(started).TotalMilliseconds);
    }

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Idle: compacted the heap, working set {BeforeMiB} -> {AfterMiB} MiB ({HeapMiB} MiB live) in {Milliseconds:F0} ms")]
    private static partial void LogCompacted(ILogger logger, long beforeMiB, long afterMiB, long heapMiB, double milliseconds);
}

/// <summary>
/// When <see cref="IdleCompaction"/> collects, from the process's allocation count alone: a check
/// every <see cref="CheckEvery"/> is busy if it saw more than <see cref="QuietBytes"/> allocated.
/// After a busy check, the host collects once when it has been quiet for <see cref="QuietFor"/>
/// (the garbage and the fragmentation the load left behind) and once more when it has been quiet
/// for <c>releaseAfter</c> and one more check (the state of actors deactivated meanwhile). Then nothing until the next busy check.
/// </summary>
internal sealed class IdleCompactionSchedule(TimeSpan releaseAfter)
{
    public static readonly TimeSpan CheckEvery = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan QuietFor = TimeSpan.FromSeconds(15);

    // 5 MiB per 5 s check: health probes and the read side's idle polling allocate far less, any real load far more.
    public const long QuietBytes = 5L << 20;

    private long? _lastAllocated;
    private long _lastTimestamp;
    private long? _quietSince;
    private int _collectionsDue;

    /// <summary>Records one check (a <see cref="TimeProvider"/> timestamp, the process's total allocated bytes) and says which collection is due now, if any.</summary>
    public IdleCollection Observe(long timestamp, long allocatedBytes)
    {
        var allocated = _lastAllocated is { } last ? allocatedBytes - last : 0;
        var first = _lastAllocated is null;
        var previous = _lastTimestamp;
        (_lastAllocated, _lastTimestamp) = (allocatedBytes, timestamp);
        if (first || allocated > QuietBytes)
        {
            // Busy (or just started): both collections are due once the load is over.
            _quietSince = null;
            _collectionsDue = 2;
            return IdleCollection.None;
        }

        // Quiet since the previous check: the whole interval was.
        _quietSince ??= previous;
        var quiet = TimeProvider.System.GetElapsedTime(_quietSince.Value, timestamp);
        if (_collectionsDue == 2 && quiet >= QuietFor)
        {
            _collectionsDue = 1;
            return IdleCollection.AfterLoad;
        }

        // Actors idle since the load stopped have left by releaseAfter; one more check lets their deactivation finish.
        if (_collectionsDue == 1 && quiet >= releaseAfter + CheckEvery)
        {
            _collectionsDue = 0;
            return IdleCollection.AfterActorsLeft;
        }

        return IdleCollection.None;
    }
}

/// <summary>Which of <see cref="IdleCompaction"/>'s collections a check calls for.</summary>
internal enum IdleCollection
{
    None,

    /// <summary>The load has stopped: the garbage and fragmentation it left.</summary>
    AfterLoad,

    /// <summary>The actors idle since the load have been deactivated: their state, and memory back to the OS.</summary>
    AfterActorsLeft,
}

using System.Runtime;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace ClaimStore.Api.Hosting;

/// <summary>
/// The <c>Memory</c> configuration section: whether the host compacts its heap and gives the freed
/// memory back to the operating system once a burst of load is over (see <see cref="IdleCompaction"/>),
/// and how much memory the silo's actor ledgers may hold (see <see cref="Grains.Actors.LedgerBudget"/>).
/// </summary>
public sealed class MemorySettings
{
    public bool CompactWhenIdle { get; set; } = true;

    /// <summary>MiB of whole actor ledgers a silo holds before the least recently used rest; 0 rests each after use.</summary>
    public int ActorLedgersMiB { get; set; } = (int)(Grains.Actors.LedgerBudgetOptions.DefaultBytes >> 20);
}

/// <summary>
/// Returns memory to the operating system once a load is long over. The GC only runs when the program
/// allocates, so a host that goes quiet keeps the heap it grew under load for as long as it stays quiet
/// (figures: docs/benchmarks/journal.md, memory). Once the host has been quiet for the grain collection age and two collection quanta, when the idle actors have left
/// and their state is garbage, this runs one blocking, aggressive collection (it compacts, and decommits
/// the free regions). It never runs under load: "quiet" means allocating less than about 1 MiB/s, and it
/// happens at most once per quiet spell.
/// </summary>
/// <remarks>
/// No collection runs after every load: one gave back next to nothing and slowed the bursts after it
/// (docs/benchmarks/journal.md, append).
/// </remarks>
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
                if (schedule.Observe(TimeProvider.System.GetTimestamp(), GC.GetTotalAllocatedBytes()))
                {
                    Compact();
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The host is stopping.
        }
    }

    private void Compact()
    {
        var before = Environment.WorkingSet;
        var started = TimeProvider.System.GetTimestamp();
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        // Aggressive: also decommits the free regions and shrinks the GC's budgets, so the next burst
        // starts slower (session 3: ~30 % for its first tens of seconds). Minutes after the load, with
        // the actors gone, that burst has to activate them again anyway.
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
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
/// After a busy check, the host collects once when it has been quiet for <c>releaseAfter</c> and one
/// more check (the state of actors deactivated meanwhile). Then nothing until the next busy check.
/// </summary>
internal sealed class IdleCompactionSchedule(TimeSpan releaseAfter)
{
    public static readonly TimeSpan CheckEvery = TimeSpan.FromSeconds(5);

    // 5 MiB per 5 s check: health probes and the read side's idle polling allocate far less, any real load far more.
    public const long QuietBytes = 5L << 20;

    private long? _lastAllocated;
    private long _lastTimestamp;
    private long? _quietSince;
    private bool _due;

    /// <summary>Records one check (a <see cref="TimeProvider"/> timestamp, the process's total allocated bytes) and says whether to collect now.</summary>
    public bool Observe(long timestamp, long allocatedBytes)
    {
        var allocated = _lastAllocated is { } last ? allocatedBytes - last : 0;
        var first = _lastAllocated is null;
        var previous = _lastTimestamp;
        (_lastAllocated, _lastTimestamp) = (allocatedBytes, timestamp);
        if (first || allocated > QuietBytes)
        {
            // Busy (or just started): the collection is due once the load is long enough over.
            _quietSince = null;
            _due = true;
            return false;
        }

        // Quiet since the previous check: the whole interval was.
        _quietSince ??= previous;
        var quiet = TimeProvider.System.GetElapsedTime(_quietSince.Value, timestamp);

        // Actors idle since the load stopped have left by releaseAfter; one more check lets their deactivation finish.
        if (_due && quiet >= releaseAfter + CheckEvery)
        {
            _due = false;
            return true;
        }

        return false;
    }
}

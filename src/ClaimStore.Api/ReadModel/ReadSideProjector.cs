using System.Diagnostics;
using ClaimStore.Api.Feeds;
using ClaimStore.Storage;
using ClaimStore.Storage.Telemetry;
using EventLog = ClaimStore.Storage.EventLog;

namespace ClaimStore.Api.ReadModel;

/// <summary>
/// Keeps the read side's tables (<see cref="ReadSideTables"/>) up with the log. Every host runs one; in each round only
/// the host that wins the tables' lock folds the next events, so the work moves to another host when one dies, and a
/// round that dies leaves nothing half done. Queries of propositions and contradictions wait here
/// (<see cref="LogFollower.CatchUpAsync"/>) until the tables hold every event committed before them. A round that sees
/// the checkpoint move, on this host or another, wakes the contradiction feed.
/// </summary>
public sealed class ReadSideProjector(
    ReadSideTables tables, EventLog log, LogAppendSignal appended, ContradictionFeed feed,
    ILogger<ReadSideProjector> logger) : LogFollower(log, appended, logger)
{
    private readonly EventLogReader _log = log.Reader(ReadSideTables.Reads);
    private long _head;
    private long _behindSince;

    protected override string Keeps => "the read side";

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        // The tables exist before the host serves its first query.
        await tables.EnsureCreatedAsync(cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    /// <summary>
    /// Events between the checkpoint and the head the last round read, and seconds since the tables last reached a head
    /// (0 when they have): what the <c>claimstore.read_side.lag</c> gauges show.
    /// </summary>
    public (long Events, double Seconds) Lag()
    {
        var behind = Math.Max(0, Volatile.Read(ref _head) - Checkpoint);
        var since = Volatile.Read(ref _behindSince);
        return (behind, behind == 0 || since == 0 ? 0 : ClaimStoreMeter.SecondsSince(since));
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var lag = ClaimStoreMeter.ObserveReadSideLag(Lag);
        await base.ExecuteAsync(stoppingToken);
    }

    protected override async Task<(long Checkpoint, bool More)> RoundAsync(CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var round = await tables.ProjectAsync(_log.ReadIn(ReadSideTables.BatchSize, cancellationToken), ReadSideTables.BatchSize, cancellationToken);
        Volatile.Write(ref _head, round.Head);
        // Behind since this round started unless it reached the head it read.
        Volatile.Write(ref _behindSince, round.Checkpoint >= round.Head ? 0 : _behindSince == 0 ? started : _behindSince);
        return (round.Checkpoint, round.More);
    }

    protected override void Advanced() => feed.Wake();

    protected override void Rewound() => feed.EndAll();
}

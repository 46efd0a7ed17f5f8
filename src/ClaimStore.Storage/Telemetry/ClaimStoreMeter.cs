using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace ClaimStore.Storage.Telemetry;

/// <summary>
/// ClaimStore's own meter, <c>ClaimStore</c>: what an operator watches besides the runtime's, ASP.NET
/// Core's and Orleans' instruments. One meter per process (the instruments are static), so every
/// exporter the host configures sees the same instruments; a host with telemetry off has no listener
/// and each measurement costs a field check.
/// </summary>
public static class ClaimStoreMeter
{
    public const string Name = "ClaimStore";

    private static readonly Meter Meter = new(Name);

    // Seconds: a commit takes milliseconds, a held-up one seconds; the default buckets start at 5 s.
    private static readonly double[] SecondsBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private static readonly long[] ClaimsBuckets = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000];

    /// <summary>Claims appended to actor streams (committed).</summary>
    public static readonly Counter<long> ClaimsAppended = Meter.CreateCounter<long>(
        "claimstore.claims.appended", "{claim}", "Claims committed to actor streams.");

    /// <summary>From an append request to its commit: the wait for a committer and the transaction.</summary>
    public static readonly Histogram<double> AppendDuration = Meter.CreateHistogram(
        "claimstore.append.duration", "s", "Time from an actor's append request to the commit that holds it.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });

    /// <summary>Claims in one committed transaction (group commit).</summary>
    public static readonly Histogram<long> ClaimsPerCommit = Meter.CreateHistogram(
        "claimstore.commit.claims", "{claim}", "Claims per committed append transaction.",
        advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = ClaimsBuckets });

    /// <summary>Append transactions open now.</summary>
    public static readonly UpDownCounter<long> CommitsInFlight = Meter.CreateUpDownCounter<long>(
        "claimstore.commits.in_flight", "{commit}", "Append transactions open now.");

    /// <summary>Reads of the log that waited for appends in flight before they could see the head (read-your-writes).</summary>
    public static readonly Counter<long> HorizonWaits = Meter.CreateCounter<long>(
        "claimstore.horizon.waits", "{wait}", "Reads of the log that waited for appends in flight; outcome: reached or timed-out.");

    /// <summary>How long those reads waited.</summary>
    public static readonly Histogram<double> HorizonWaitDuration = Meter.CreateHistogram(
        "claimstore.horizon.wait.duration", "s", "How long a read of the log waited for appends in flight.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });

    /// <summary>Clients following a live feed (Server-Sent Events) now.</summary>
    public static readonly UpDownCounter<long> FeedClients = Meter.CreateUpDownCounter<long>(
        "claimstore.feed.clients", "{client}", "Clients following a live feed now; feed: events or contradictions.");

    /// <summary>Requests answered with a client or availability error, by reason.</summary>
    public static readonly Counter<long> RequestsRejected = Meter.CreateCounter<long>(
        "claimstore.requests.rejected", "{request}", "Requests refused, by reason.");

    /// <summary>Records a read of the log that had to wait <paramref name="waited"/> for appends in flight.</summary>
    public static void HorizonWaited(TimeSpan waited, bool reached)
    {
        HorizonWaits.Add(1, new KeyValuePair<string, object?>("outcome", reached ? "reached" : "timed-out"));
        HorizonWaitDuration.Record(waited.TotalSeconds);
    }

    /// <summary>
    /// Makes <paramref name="lag"/> (events behind the log head, seconds behind it) observable until the
    /// returned handle is disposed. A host has one read side; with several in one process (tests), the
    /// gauges show the one furthest behind.
    /// </summary>
    public static IDisposable ObserveReadSideLag(Func<(long Events, double Seconds)> lag)
    {
        var handle = new LagSource(lag);
        LagSources.TryAdd(handle, 0);
        return handle;
    }

    /// <summary>The time since <paramref name="startTimestamp"/> (from <see cref="Stopwatch.GetTimestamp"/>), in seconds.</summary>
    public static double SecondsSince(long startTimestamp) => Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds;

    private static readonly ConcurrentDictionary<LagSource, byte> LagSources = new();

    /// <summary>Events committed to the log that the read side has not folded yet.</summary>
    public static readonly ObservableGauge<long> ReadSideLagEvents = Meter.CreateObservableGauge(
        "claimstore.read_side.lag.events", () => LagSources.Keys.Select(s => s.Lag().Events).DefaultIfEmpty(0).Max(), "{event}",
        "Events committed to the log that this host's read side has not folded yet.");

    /// <summary>How long the read side has been behind the log head.</summary>
    public static readonly ObservableGauge<double> ReadSideLagSeconds = Meter.CreateObservableGauge(
        "claimstore.read_side.lag", () => LagSources.Keys.Select(s => s.Lag().Seconds).DefaultIfEmpty(0).Max(), "s",
        "How long this host's read side has been behind the log head (0 when caught up).");

    private sealed class LagSource(Func<(long Events, double Seconds)> lag) : IDisposable
    {
        public Func<(long Events, double Seconds)> Lag { get; } = lag;

        public void Dispose() => LagSources.TryRemove(this, out _);
    }
}

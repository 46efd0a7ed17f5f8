using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace ClaimStore.IntegrationTests.Reliability;

/// <summary>One claim a writer must get acknowledged; every attempt sends the same claim id.</summary>
public sealed record PlannedClaim(Guid ClaimId, string ActorId, int Writer, int Index);

public enum AttemptKind
{
    /// <summary>201: stored by this attempt.</summary>
    Created,

    /// <summary>200: stored already (an earlier attempt that looked failed had committed).</summary>
    Unchanged,

    /// <summary>Failed in a way a client retries (503, timeout, connection refused, ...).</summary>
    Retry,

    /// <summary>An answer that must never come (409, 404, 400, ...): the test fails.</summary>
    Fatal,
}

/// <summary>What one attempt got: the acknowledged version, or why it failed.</summary>
public readonly record struct AttemptResult(AttemptKind Kind, long Version = 0, string Detail = "")
{
    public static AttemptResult Retry(string detail) => new(AttemptKind.Retry, 0, detail);

    public static AttemptResult Fatal(string detail) => new(AttemptKind.Fatal, 0, detail);

    public bool Acknowledged => Kind is AttemptKind.Created or AttemptKind.Unchanged;
}

/// <summary>An acknowledgement: which claim, at which version, and when the acknowledged attempt ran.</summary>
public sealed record Acknowledgement(PlannedClaim Claim, long Version, bool Created, TimeSpan Started, TimeSpan Ended, int Attempts);

/// <summary>A failed attempt, for the figures: when it started, how long it took, why.</summary>
public sealed record FailedAttempt(PlannedClaim Claim, TimeSpan Started, TimeSpan Duration, string Detail);

/// <summary>
/// Concurrent writers, each with its own list of claims over a set of actors. A writer sends one
/// claim at a time; a claim whose attempt fails goes to the back of the writer's list with the
/// same claim id, so writers keep the load on healthy actors while another actor is unavailable.
/// Bounded: a deadline for the whole run and a limit of attempts per claim.
/// </summary>
public sealed class ClaimLoad
{
    private readonly ConcurrentDictionary<Guid, Acknowledgement> _acknowledged = new();
    private readonly ConcurrentQueue<FailedAttempt> _failures = new();
    private readonly ConcurrentQueue<string> _fatal = new();
    private readonly ConcurrentQueue<PlannedClaim> _probes = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private int _attempts;

    public ClaimLoad(IReadOnlyList<string> actors, int writers, int claimsPerWriter, int seed = 7)
    {
        var random = new Random(seed);
        Actors = actors;
        Writers = writers;
        Plan = [.. Enumerable.Range(0, writers).Select(w => Enumerable.Range(0, claimsPerWriter)
            .Select(i => new PlannedClaim(Guid.NewGuid(), actors[random.Next(actors.Count)], w, i))
            .ToArray())];
    }

    public IReadOnlyList<string> Actors { get; }

    public int Writers { get; }

    public IReadOnlyList<PlannedClaim[]> Plan { get; }

    /// <summary>Every claim submitted: the writers' and the probes'.</summary>
    public IEnumerable<PlannedClaim> AllClaims => Plan.SelectMany(p => p).Concat(_probes);

    public int Total => Plan.Sum(p => p.Length) + _probes.Count;

    /// <summary>Time since the load was created: the clock of every timestamp it records.</summary>
    public TimeSpan Now => _clock.Elapsed;

    public IReadOnlyDictionary<Guid, Acknowledgement> Acknowledged => _acknowledged;

    public IReadOnlyCollection<FailedAttempt> Failures => _failures;

    public IReadOnlyCollection<string> FatalAnswers => _fatal;

    public int Attempts => _attempts;

    public int AcknowledgedCount => _acknowledged.Count;

    /// <summary>
    /// Runs every writer until each of its claims is acknowledged, a claim got a fatal answer, a
    /// claim used up <paramref name="maxAttemptsPerClaim"/>, or <paramref name="deadline"/> passed.
    /// </summary>
    public async Task RunAsync(
        Func<PlannedClaim, int, CancellationToken, Task<AttemptResult>> attempt,
        TimeSpan deadline,
        int maxAttemptsPerClaim = 400,
        TimeSpan? pauseAfterFailure = null)
    {
        var pause = pauseAfterFailure ?? TimeSpan.FromMilliseconds(50);
        using var stop = new CancellationTokenSource(deadline);
        var token = stop.Token;
        await Task.WhenAll(Plan.Select(claims => Task.Run(async () =>
        {
            var queue = new Queue<(PlannedClaim Claim, int Attempts)>(claims.Select(c => (c, 0)));
            while (queue.Count > 0 && !token.IsCancellationRequested)
            {
                var (claim, attempts) = queue.Dequeue();
                attempts++;
                Interlocked.Increment(ref _attempts);
                var started = Now;
                AttemptResult result;
                try
                {
                    result = await attempt(claim, attempts, token);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // The attempt turns every failure a client retries into a result; anything thrown is a fault of the test or the host.
                    result = AttemptResult.Fatal($"{ex.GetType().Name}: {ex.Message}");
                }
                catch (OperationCanceledException)
                {
                    break;
                }

                var ended = Now;
                switch (result.Kind)
                {
                    case AttemptKind.Created or AttemptKind.Unchanged:
                        _acknowledged.TryAdd(claim.ClaimId,
                            new Acknowledgement(claim, result.Version, result.Kind == AttemptKind.Created, started, ended, attempts));
                        break;
                    case AttemptKind.Fatal:
                        _fatal.Enqueue($"{claim.ActorId}/{claim.ClaimId} attempt {attempts}: {result.Detail}");
                        break;
                    default:
                        _failures.Enqueue(new FailedAttempt(claim, started, ended - started, result.Detail));
                        if (attempts < maxAttemptsPerClaim)
                        {
                            queue.Enqueue((claim, attempts));
                        }
                        else
                        {
                            _fatal.Enqueue($"{claim.ActorId}/{claim.ClaimId}: not acknowledged after {attempts} attempts, last: {result.Detail}");
                        }

                        try
                        {
                            await Task.Delay(pause, token);
                        }
                        catch (OperationCanceledException)
                        {
                        }

                        break;
                }
            }

            if (queue.Count > 0)
            {
                _fatal.Enqueue($"{queue.Count} claims of writer {claims[0].Writer} not acknowledged within {deadline.TotalSeconds} s.");
            }
        }, CancellationToken.None)));
    }

    /// <summary>
    /// One more claim of <paramref name="actorId"/>, outside the writers, sent until it is acknowledged
    /// (every attempt through the next of <paramref name="attempt"/>'s targets): returns how long that took.
    /// </summary>
    public async Task<TimeSpan> ProbeAsync(
        string actorId, Func<PlannedClaim, int, CancellationToken, Task<AttemptResult>> attempt, TimeSpan limit)
    {
        var claim = new PlannedClaim(Guid.NewGuid(), actorId, -1, _probes.Count);
        _probes.Enqueue(claim);
        var clock = Stopwatch.StartNew();
        for (var attempts = 1; clock.Elapsed < limit; attempts++)
        {
            var started = Now;
            var result = await attempt(claim, attempts, CancellationToken.None);
            if (result.Acknowledged)
            {
                _acknowledged.TryAdd(claim.ClaimId,
                    new Acknowledgement(claim, result.Version, result.Kind == AttemptKind.Created, started, Now, attempts));
                return clock.Elapsed;
            }

            if (result.Kind == AttemptKind.Fatal)
            {
                _fatal.Enqueue($"probe {actorId}/{claim.ClaimId} attempt {attempts}: {result.Detail}");
                throw new InvalidOperationException($"Probe of {actorId}, attempt {attempts}: {result.Detail}");
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"{actorId} did not acknowledge a write within {limit.TotalSeconds} s.");
    }

    /// <summary>Waits until at least <paramref name="count"/> claims are acknowledged (or the run ends).</summary>
    public async Task WaitForAcknowledgementsAsync(int count, Task run, TimeSpan limit)
    {
        var clock = Stopwatch.StartNew();
        while (AcknowledgedCount < count && !run.IsCompleted)
        {
            if (clock.Elapsed > limit)
            {
                throw new TimeoutException($"Only {AcknowledgedCount} of {count} claims acknowledged within {limit.TotalSeconds} s.");
            }

            await Task.Delay(10);
        }
    }

    /// <summary>The failed attempts by reason, most frequent first: "HTTP 503 ×12, timeout ×3".</summary>
    public string FailureSummary() => _failures.IsEmpty
        ? "none"
        : string.Join(", ", _failures.GroupBy(f => f.Detail).OrderByDescending(g => g.Count())
            .Select(g => $"{g.Key} ×{g.Count().ToString(CultureInfo.InvariantCulture)}"));

    /// <summary>One line of figures for the test output.</summary>
    public string Summary()
    {
        var acks = _acknowledged.Values;
        var unchanged = acks.Count(a => !a.Created);
        var retried = acks.Count(a => a.Attempts > 1);
        return $"{Writers} writers, {Actors.Count} actors, {Total} claims: {acks.Count} acknowledged "
            + $"({unchanged} of them as 200 Unchanged, i.e. an earlier attempt had committed), {retried} needed more than one attempt, "
            + $"{_attempts} attempts; failed attempts: {FailureSummary()}";
    }
}

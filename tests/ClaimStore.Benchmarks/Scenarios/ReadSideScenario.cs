using System.Diagnostics;
using ClaimStore.Benchmarks.Infrastructure;
using ClaimStore.Domain.Claims;
using ClaimStore.Domain.Propositions;

namespace ClaimStore.Benchmarks.Scenarios;

/// <summary>
/// readside: the host's read side in process, no database. 1,000,000 claims shaped like the rebuild
/// scenario's (10,000 actors, 500,000 propositions, same generator and seed) are folded into the
/// <see cref="PropositionLedger"/> and into the legacy ledger it replaced, in batches of
/// <c>ReadModelFollower.BatchSize</c> with a publish after each, as the follower does; the figures are
/// the managed heap the ledger and its last snapshot hold afterwards and the fold time. Rounds alternate
/// the two. The answers are compared before anything is measured.
/// </summary>
public static class ReadSideScenario
{
    private const int Batch = 5000;

    public static Task RunAsync(BenchContext context)
    {
        var options = context.Options;
        var report = context.Report;
        var actors = options.Pick(100, 10_000);
        var claims = options.Pick(5_000, 1_000_000);
        var propositions = claims / 2;
        var rounds = options.RoundsOr(3);

        var mismatches = Compare(options.Pick(2_000, 50_000), options.Pick(50, 500), options.Pick(1_000, 25_000));
        report.CountErrors(mismatches, $"{mismatches} propositions answered differently by the compact and the legacy ledger");
        report.Figure("answers_match", mismatches == 0 ? 1 : 0, 0);
        Report.Note($"folding {claims:N0} claims across {actors:N0} actors over {propositions:N0} propositions, {rounds} rounds, alternating");

        var results = new Dictionary<string, (List<double> Seconds, List<double> MiB)>
        {
            ["compact"] = ([], []),
            ["legacy"] = ([], []),
        };
        for (var round = 0; round < rounds; round++)
        {
            foreach (var variant in BenchContext.Rotate(["compact", "legacy"], round))
            {
                var (seconds, bytes, summary) = Fold(variant, claims, actors, propositions);
                results[variant].Seconds.Add(seconds);
                results[variant].MiB.Add(bytes / 1048576.0);
                Report.Note($"round {round + 1} {variant,-7}: {seconds:F1} s = {claims / seconds:F0} claims/s, {bytes / 1048576.0:F0} MiB; {summary}");
            }
        }

        foreach (var (variant, (seconds, mib)) in results)
        {
            report.Figure($"{variant}.fold_seconds", Stats.Median(seconds), 1);
            report.Figure($"{variant}.claims_per_s", claims / Stats.Median(seconds), 0);
            report.Figure($"{variant}.heap_mib", Stats.Median(mib), 0);
        }

        report.Ratio("heap_ratio_vs_legacy", Stats.Median(results["compact"].MiB) / Stats.Median(results["legacy"].MiB));
        report.Ratio("speedup_vs_legacy", Stats.Median(results["legacy"].Seconds) / Stats.Median(results["compact"].Seconds), main: true);
        return Task.CompletedTask;
    }

    private static (double Seconds, long Bytes, string Summary) Fold(string variant, int claims, int actors, int propositions)
    {
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var watch = Stopwatch.StartNew();
        object ledger, snapshot;
        string summary;
        if (variant == "compact")
        {
            // A table of its own, so that the propositions' text is counted here (in the host, the actor ledgers share it).
            var compact = new PropositionLedger(new PropositionTable());
            var published = ReadModelSnapshot.Empty;
            foreach (var batch in Events(claims, actors, propositions).Chunk(Batch))
            {
                foreach (var (sequence, e) in batch)
                {
                    compact.Apply(sequence, e);
                }

                published = compact.Publish();
            }

            watch.Stop();
            (ledger, snapshot) = (compact, published);
            summary = $"{published.Propositions.Count:N0} propositions, {published.ContradictionCount():N0} contradictions";
        }
        else
        {
            var legacy = new LegacyPropositionLedger();
            var published = LegacySnapshot.Empty;
            foreach (var batch in Events(claims, actors, propositions).Chunk(Batch))
            {
                foreach (var (sequence, e) in batch)
                {
                    legacy.Apply(sequence, e);
                }

                published = legacy.Publish();
            }

            watch.Stop();
            (ledger, snapshot) = (legacy, published);
            summary = $"{published.Propositions.Count:N0} propositions, {published.Propositions.Values.Sum(p => p.Contradictions.Length):N0} contradictions";
        }

        var bytes = GC.GetTotalMemory(forceFullCollection: true) - before;
        GC.KeepAlive(ledger);
        GC.KeepAlive(snapshot);
        return (watch.Elapsed.TotalSeconds, bytes, summary);
    }

    /// <summary>The same log into both ledgers, with retractions; every proposition's answers compared.</summary>
    private static int Compare(int claims, int actors, int propositions)
    {
        var compact = new PropositionLedger();
        var legacy = new LegacyPropositionLedger();
        var recorded = new List<ClaimRecorded>();
        var random = new Random(11);
        var sequence = 0L;
        foreach (var (_, e) in Events(claims, actors, propositions))
        {
            compact.Apply(++sequence, e);
            legacy.Apply(sequence, e);
            recorded.Add(e);
            if (random.Next(20) == 0)
            {
                var victim = recorded[random.Next(recorded.Count)];
                var retraction = new ClaimRetracted(victim.ClaimId, victim.ActorId, null, e.RecordedAt);
                compact.Apply(++sequence, retraction);
                legacy.Apply(sequence, retraction);
            }
        }

        var expected = legacy.Publish().Propositions.Values.Select(Describe).ToList();
        var actual = compact.Publish().Propositions.Values.Select(Describe).ToList();
        return Math.Abs(expected.Count - actual.Count) + expected.Zip(actual).Count(pair => pair.First != pair.Second);
    }

    private static string Describe(PropositionView view) =>
        $"{view.Key} {view.Proposition}\n" + string.Join('\n',
            view.Stances.Select(s => $"{s.ActorId} {s.Stance} {s.Since:O} {s.Quantity} {s.ClaimId}")
            .Concat(view.Contradictions.Select(c =>
                $"{c.ContradictionId} {c.Kind} {string.Join(',', c.ActorIds)} {string.Join(',', c.ClaimIds)} {c.OpenedAt:O} {c.ResolvedAt:O}")));

    /// <summary>Claims as the rebuild scenario generates them (seed 7), as the events the host would log.</summary>
    private static IEnumerable<(long Sequence, ClaimRecorded Event)> Events(int claims, int actors, int propositions)
    {
        var random = new Random(7);
        var recordedAt = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        for (var i = 0; i < claims; i++)
        {
            var actor = $"actor-{random.Next(actors):D5}";
            var spec = ClaimData.Random(random, propositions);
            yield return (i + 1, new ClaimRecorded(spec.ClaimId, actor, ClaimData.Content(spec), recordedAt));
        }
    }
}

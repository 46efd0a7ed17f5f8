using System.Diagnostics;
using ClaimStore.Benchmarks.Infrastructure;
using ClaimStore.Storage;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace ClaimStore.Benchmarks.Scenarios;

/// <summary>
/// rebuild: 1,000,000 claims across 10,000 actors go in through the host (POST /claims/batch, 1,000
/// claims a batch, 4 batches at a time), which gives the host-memory figure (RSS of the host process
/// right after, after a short idle, and 270 s after the ingest, once idle actors are collected). Then, with the host stopped, <see cref="ProjectionRebuild"/>
/// (every read model from the whole log) against a plain sequential read of the event table
/// (<c>select seq_id, data from claimstore.mt_events order by seq_id</c>, streamed through Npgsql).
/// <c>--only memory</c> stops after the host-memory figures, for iterating on the host's memory.
/// </summary>
public static class RebuildScenario
{
    // Orleans collects an actor idle for the collection age (2 minutes here) at a pass up to two
    // quanta (1 minute each) later: at 195 s all 10,000 actors were still active (orleans-catalog-activations).
    private static readonly TimeSpan CollectedAfter = TimeSpan.FromSeconds(270);

    public static async Task RunAsync(BenchContext context)
    {
        var options = context.Options;
        var report = context.Report;
        var actors = options.Pick(100, 10_000);
        var claims = options.Pick(5_000, 1_000_000);
        var idle = TimeSpan.FromSeconds(options.Pick(1, 20));
        var propositions = claims / 2;
        var rounds = options.RoundsOr(3);

        var connectionString = await context.CreateDatabaseAsync("rebuild");
        var host = await HostProcess.StartAsync(connectionString, context.LogPath("host"));
        try
        {
            using var client = host.CreateClient(16);
            var actorIds = Enumerable.Range(0, actors).Select(i => $"actor-{i:D5}").ToArray();
            await StoreApi.RegisterActorsAsync(client, actorIds);
            var random = new Random(7);
            var items = Enumerable.Range(0, claims).Select(_ => (actorIds[random.Next(actors)], ClaimData.Random(random, propositions)));
            Report.Note($"ingesting {claims:N0} claims across {actors:N0} actors over {propositions:N0} propositions through POST /claims/batch…");
            var watch = Stopwatch.StartNew();
            var lastProgress = Stopwatch.StartNew();
            await StoreApi.IngestAsync(client, items, 1000, 4, done =>
            {
                lock (lastProgress)
                {
                    if (lastProgress.Elapsed > TimeSpan.FromSeconds(20))
                    {
                        Report.Note($"  {done:N0} claims, {done / watch.Elapsed.TotalSeconds:F0} claims/s, host RSS {host.Memory().RssMiB:F0} MiB");
                        lastProgress.Restart();
                    }
                }
            });
            var ingestSeconds = watch.Elapsed.TotalSeconds;
            report.Figure("ingest.claims_per_s", claims / ingestSeconds, 0);
            await StoreApi.WaitForReadSideAsync(client, TimeSpan.FromMinutes(5));
            report.Figure("memory.host_rss_mib", host.Memory().RssMiB, 0);
            await Task.Delay(idle);
            var (rss, peak) = host.Memory();
            report.Figure("memory.host_rss_idle_mib", rss, 0);
            report.Figure("memory.host_peak_rss_mib", peak, 0);
            if (!options.IsSmoke)
            {
                // Idle actors leave memory after the host's grain collection age (2 minutes by default,
                // rounded up to the minute of Orleans' collection passes): what the host holds once only the read side is left.
                await Task.Delay(CollectedAfter - idle);
                report.Figure("memory.host_rss_collected_mib", host.Memory().RssMiB, 0);
            }
        }
        finally
        {
            await host.DisposeAsync();
        }

        if (options.Only == "memory")
        {
            return;
        }

        await using var services = Stores.ClaimStoreServices(connectionString);
        var store = services.GetRequiredService<IDocumentStore>();
        var database = services.GetRequiredService<NpgsqlDataSource>();
        long events;
        await using (var count = database.CreateCommand("select count(*) from claimstore.mt_events"))
        {
            events = (long)(await count.ExecuteScalarAsync())!;
        }

        Report.Note($"{events:N0} events in the log; {rounds} rounds of rebuild and plain read, alternating");
        var rebuilds = new List<double>();
        var reads = new List<double>();
        for (var round = 0; round < rounds; round++)
        {
            foreach (var variant in BenchContext.Rotate(["rebuild", "read"], round))
            {
                var watch = Stopwatch.StartNew();
                if (variant == "rebuild")
                {
                    var result = await ProjectionRebuild.RunAsync(store, database, TextWriter.Null, CancellationToken.None);
                    var seconds = watch.Elapsed.TotalSeconds;
                    rebuilds.Add(result.Events / seconds);
                    report.CountErrors(result.Events == events ? 0 : 1, $"the rebuild folded {result.Events} of {events} events");
                    Report.Note($"round {round + 1} rebuild: {result.Events:N0} events in {seconds:F1} s = {result.Events / seconds:F0} events/s; "
                        + $"{result.Actors} actors, {result.Propositions:N0} propositions, {result.Contradictions:N0} contradictions");
                }
                else
                {
                    var read = await PlainReadAsync(database);
                    var seconds = watch.Elapsed.TotalSeconds;
                    reads.Add(read / seconds);
                    Report.Note($"round {round + 1} read:    {read:N0} events in {seconds:F1} s = {read / seconds:F0} events/s");
                }
            }
        }

        report.Figure("events", events, 0);
        report.Figure("rebuild.events_per_s", Stats.Median(rebuilds), 0);
        report.Figure("plain_read.events_per_s", Stats.Median(reads), 0);
        report.Figure("rebuild.seconds", events / Stats.Median(rebuilds), 1);
        report.Ratio("ratio_vs_plain_read", Stats.Median(rebuilds) / Stats.Median(reads), main: true);
    }

    private static async Task<long> PlainReadAsync(NpgsqlDataSource database)
    {
        await using var connection = await database.OpenConnectionAsync();
        await using var command = new NpgsqlCommand("select seq_id, data from claimstore.mt_events order by seq_id", connection);
        await using var reader = await command.ExecuteReaderAsync();
        long rows = 0, bytes = 0;
        while (await reader.ReadAsync())
        {
            _ = reader.GetInt64(0);
            bytes += reader.GetString(1).Length;
            rows++;
        }

        return bytes > 0 ? rows : 0;
    }
}

using System.Diagnostics;
using System.Reflection;
using System.Text.Json.Nodes;
using ClaimStore.Benchmarks.Infrastructure;
using ClaimStore.Storage;
using Marten;
using Npgsql;

namespace ClaimStore.Benchmarks.Scenarios;

/// <summary>
/// import: the command line's bulk paths (issue 18). A file of claims for 1,000 actors (NDJSON, one
/// claim a line) goes into an empty store with <c>claimstore import</c>, run as its own process against
/// a host; side by side, the same claims go into a schema of their own with plain Marten, 100 events per
/// transaction, four transactions in flight (as the CLI keeps four requests in flight), each writer with
/// streams of its own. Then
/// <c>claimstore export</c> writes the store's claims (claims-ndjson) and its log (events-ndjson) to files.
/// Figures: claims/s of each, the ratio import / Marten, and the CLI's peak resident memory.
/// </summary>
public static class ImportScenario
{
    private const int Actors = 1000;
    private const int Propositions = 50_000;
    private const int MartenBatch = 100;
    private const int InFlight = 4;

    public static async Task RunAsync(BenchContext context)
    {
        var options = context.Options;
        var report = context.Report;
        var claims = options.Pick(5_000, 1_000_000);
        var actorIds = Enumerable.Range(0, Actors).Select(i => $"actor-{i:D4}").ToArray();
        var work = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), $"claimstore-bench-import-{Guid.NewGuid():N}"));
        try
        {
            var file = Path.Combine(work.FullName, "claims.ndjson");
            var random = new Random(42);
            var specs = Enumerable.Range(0, claims).Select(i => (actorIds[i % Actors], ClaimData.Random(random, Propositions))).ToList();
            await File.WriteAllLinesAsync(file, specs.Select(s => ClaimData.Json(s.Item2, s.Item1)));
            Report.Note($"{claims:N0} claims in {new FileInfo(file).Length / (1024.0 * 1024):F0} MiB of NDJSON, {Actors} actors registered first; CLI: {Cli.Dll}");

            var connectionString = await context.CreateDatabaseAsync("import");
            double imported;
            await using (var host = await HostProcess.StartAsync(connectionString, context.LogPath("host")))
            {
                using (var client = host.CreateClient(4))
                {
                    await StoreApi.RegisterActorsAsync(client, actorIds);
                }

                var meter = context.Meter(host);
                var beforeImport = meter.Take();
                var import = await Cli.RunAsync(host.BaseAddress, work.FullName, "import", file, "--json");
                var importCpu = CpuMeter.Between(beforeImport, meter.Take());
                var summary = JsonNode.Parse(import.Output);
                var created = (long?)summary?["created"] ?? 0;
                report.CountErrors(import.ExitCode != 0 || created != claims ? 1 : 0,
                    $"import: exit code {import.ExitCode}, {created:N0} of {claims:N0} claims created: {import.Error}");
                imported = claims / import.Seconds;
                report.Figure("import.claims_per_s", imported, 0);
                report.Figure("import.cli_peak_rss_mib", import.PeakRssMiB, 0);
                Report.Note($"import: {claims / import.Seconds:N0} claims/s ({import.Seconds:F1} s), CLI peak memory {import.PeakRssMiB:F0} MiB, CLI CPU {import.CpuSeconds * 1e6 / claims:F0} µs a claim, {Beside(importCpu, claims)}");

                // The exports' CPU figures are theirs alone once the followers have caught up with the import.
                var caughtUp = Stopwatch.StartNew();
                await WaitForFollowersAsync(connectionString, TimeSpan.FromMinutes(10));
                Report.Note($"read side and search index caught up {caughtUp.Elapsed.TotalSeconds:F0} s after the import's end");

                foreach (var format in new[] { "claims-ndjson", "events-ndjson" })
                {
                    var target = Path.Combine(work.FullName, $"export.{format}");
                    var beforeExport = meter.Take();
                    var export = await Cli.RunAsync(host.BaseAddress, work.FullName, "export", "--format", format, "--out", target, "--json");
                    var exportCpu = CpuMeter.Between(beforeExport, meter.Take());
                    var lines = File.Exists(target) ? File.ReadLines(target).LongCount() : 0;
                    var expected = format == "claims-ndjson" ? claims : claims + Actors;
                    report.CountErrors(export.ExitCode != 0 || lines != expected ? 1 : 0,
                        $"export {format}: exit code {export.ExitCode}, {lines:N0} lines of {expected:N0}: {export.Error}");
                    report.Figure($"export_{format.Replace('-', '_')}.per_s", lines / export.Seconds, 0);
                    report.Figure($"export_{format.Replace('-', '_')}.cli_peak_rss_mib", export.PeakRssMiB, 0);
                    Report.Note($"export {format}: {lines / export.Seconds:N0} lines/s ({lines:N0} in {export.Seconds:F1} s), CLI peak memory {export.PeakRssMiB:F0} MiB, CLI CPU {export.CpuSeconds * 1e6 / Math.Max(1, lines):F0} µs a line, {Beside(exportCpu, lines)}");
                    report.Figure($"export_{format.Replace('-', '_')}.cpu.host_us_per_line", exportCpu.HostSeconds * 1e6 / Math.Max(1, lines), 1);
                    report.Figure($"export_{format.Replace('-', '_')}.cpu.postgres_us_per_line", exportCpu.PostgresSeconds * 1e6 / Math.Max(1, lines), 1);
                    report.Figure($"export_{format.Replace('-', '_')}.cpu.cli_us_per_line", export.CpuSeconds * 1e6 / Math.Max(1, lines), 1);
                    File.Delete(target);
                }
            }

            var marten = await MartenAsync(connectionString, actorIds, specs);
            report.Figure("marten.claims_per_s", marten, 0);
            Report.Note($"plain Marten, {MartenBatch} events a transaction, {InFlight} in flight: {marten:N0} claims/s");
            report.Ratio("ratio_import_vs_marten", imported / marten, main: true);
            Report.Note("targets: import ≥ 20,000 claims/s with the CLI under 200 MiB; export ≥ 100,000 claims/s");
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    /// <summary>Until the read side's and the search index's checkpoints reach the log's last event.</summary>
    private static async Task WaitForFollowersAsync(string connectionString, TimeSpan timeout)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        var until = DateTime.UtcNow + timeout;
        while (true)
        {
            await using var behind = new NpgsqlCommand(
                $"""
                select (select coalesce(max(seq_id), 0) from {StorageTables.Events})
                     - least((select sequence from {StorageTables.ReadSideCheckpoint}),
                             (select sequence from {StorageTables.ClaimSearchCheckpoint} where name = 'claims'))
                """, connection);
            if (await behind.ExecuteScalarAsync() is long events && events <= 0)
            {
                return;
            }

            if (DateTime.UtcNow > until)
            {
                throw new TimeoutException($"The log's followers did not catch up within {timeout}.");
            }

            await Task.Delay(500);
        }
    }

    // The CLI is a process of its own: the meter's "bench" share is this process, idle meanwhile, and left out.
    private static string Beside(CpuUsage cpu, long lines) =>
        $"host {cpu.HostSeconds * 1e6 / Math.Max(1, lines):F1} µs, PostgreSQL {cpu.PostgresSeconds * 1e6 / Math.Max(1, lines):F1} µs; machine {cpu.MachineBusyFraction:P0} busy, others (the CLI among them) {cpu.OtherFraction:P0}";

    /// <summary>Claims/s of plain Marten appending the same claims, <see cref="MartenBatch"/> to a transaction.</summary>
    private static async Task<double> MartenAsync(string connectionString, string[] actorIds, List<(string ActorId, ClaimSpec Claim)> specs)
    {
        await using var store = await Stores.BaselineAsync(connectionString);
        await Stores.RegisterBaselineActorsAsync(store, actorIds);
        // Each writer owns a quarter of the actors, so no two transactions append to one stream at once (in the
        // host, an actor's grain is its stream's single writer); a stream's claims keep their order.
        var owners = actorIds.Select((id, index) => (id, index)).ToDictionary(a => a.id, a => a.index % InFlight, StringComparer.Ordinal);
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, InFlight).Select(async writer =>
        {
            foreach (var batch in specs.Where(s => owners[s.ActorId] == writer).Chunk(MartenBatch))
            {
                await using var session = store.LightweightSession();
                foreach (var (actorId, claim) in batch)
                {
                    session.Events.Append(actorId, Stores.ClaimEvent(actorId, claim));
                }

                await session.SaveChangesAsync();
            }
        }));
        return specs.Count / watch.Elapsed.TotalSeconds;
    }

    /// <summary>The <c>claimstore</c> command line of this build, run as a process of its own.</summary>
    private static class Cli
    {
        /// <summary>The CLI built in this benchmark's own configuration (the project builds it alongside).</summary>
        public static string Dll => Path.Combine(Checkout.Root, "src", "ClaimStore.Cli", "bin",
            typeof(ImportScenario).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Release", "net10.0", "claimstore.dll");

        public sealed record Run(int ExitCode, string Output, string Error, double Seconds, double PeakRssMiB, double CpuSeconds);

        /// <summary>Runs the CLI to its end, sampling its resident memory every 50 ms.</summary>
        public static async Task<Run> RunAsync(Uri host, string directory, params string[] arguments)
        {
            var start = new ProcessStartInfo("dotnet") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
            start.ArgumentList.Add(Dll);
            foreach (var argument in arguments)
            {
                start.ArgumentList.Add(argument);
            }

            start.ArgumentList.Add("--url");
            start.ArgumentList.Add(host.ToString());
            var watch = Stopwatch.StartNew();
            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            double peak = 0, cpu = 0;
            while (!process.HasExited)
            {
                (peak, cpu) = (Math.Max(peak, ResidentMiB(process.Id)), CpuMeter.ProcessSeconds(process.Id) is var c && c > 0 ? c : cpu);
                await Task.WhenAny(process.WaitForExitAsync(), Task.Delay(50));
            }

            await process.WaitForExitAsync();
            return new Run(process.ExitCode, await output, await error, watch.Elapsed.TotalSeconds, peak, cpu);
        }

        private static double ResidentMiB(int pid)
        {
            try
            {
                // An ended process that is not yet reaped has no VmRSS line: NaN, counted as nothing.
                return HostProcess.MemoryOf(pid).RssMiB is var rss && double.IsNaN(rss) ? 0 : rss;
            }
            catch (IOException)
            {
                return 0; // the process has just ended
            }
        }
    }
}

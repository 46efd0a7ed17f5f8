using System.Diagnostics;
using System.Runtime.InteropServices;
using ClaimStore.Benchmarks.Infrastructure;
using ClaimStore.Benchmarks.Scenarios;
using ClaimStore.Testing;

// ClaimStore's benchmark suite: see docs/benchmarks.md.
// dotnet run -c Release --project tests/ClaimStore.Benchmarks -- <append|read|lag|rebuild|scale|readside|search|feeds|ui|import|testing|telemetry|all> [--size smoke|full] [--rounds N] [--results DIR]
var options = BenchOptions.Parse(args, out var error);
if (options is null)
{
    await Console.Error.WriteLineAsync($"{error}\n{BenchOptions.Usage}");
    return 2;
}

var scenarios = new Dictionary<string, Func<BenchContext, Task>>
{
    ["append"] = AppendScenario.RunAsync,
    ["read"] = ReadScenario.RunAsync,
    ["lag"] = LagScenario.RunAsync,
    ["rebuild"] = RebuildScenario.RunAsync,
    ["scale"] = ScaleScenario.RunAsync,
    ["readside"] = ReadSideScenario.RunAsync,
    ["search"] = SearchScenario.RunAsync,
    ["feeds"] = FeedsScenario.RunAsync,
    ["ui"] = UiScenario.RunAsync,
    ["import"] = ImportScenario.RunAsync,
    ["testing"] = TestingScenario.RunAsync,
    ["telemetry"] = TelemetryScenario.RunAsync,
};
// The hosts under test run in Development, where the Orleans dashboard (which profiles every grain call)
// is on by default; measure them as deployed, without it. The child processes inherit the variable.
if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("Dashboard__Enabled")))
{
    Environment.SetEnvironmentVariable("Dashboard__Enabled", "false");
}

var selected = options.Scenario == "all" ? BenchOptions.Scenarios : [options.Scenario];

Report.Note($"ClaimStore benchmarks: {string.Join(", ", selected)}; size {options.Size.ToString().ToLowerInvariant()}, {options.Rounds} round(s); medians over rounds");
Report.Note($"machine: {Environment.ProcessorCount} cores, {GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024.0 * 1024 * 1024):F1} GiB, "
    + $"{RuntimeInformation.OSDescription}, .NET {Environment.Version}; host: {HostProcess.HostDll}");

var failed = new List<string>();
await using (var postgres = await ClaimStorePostgres.StartAsync(Environment.GetEnvironmentVariable(BenchContext.PostgresVariable) is { Length: > 0 } external ? external : null))
{
    foreach (var name in selected)
    {
        var report = new Report(name, options);
        Report.Note($"== {name}");
        var watch = Stopwatch.StartNew();
        try
        {
            await scenarios[name](new BenchContext(options, postgres, report));
            if (options.IsSmoke && report.Errors > 0)
            {
                failed.Add($"{name} ({report.Errors} unexpected answers)");
            }
        }
        catch (Exception ex)
        {
            await Console.Error.WriteLineAsync($"scenario {name} failed: {ex}");
            failed.Add(name);
        }
        finally
        {
            report.Save();
            Report.Note($"{name} took {watch.Elapsed.TotalSeconds:F0} s");
        }
    }
}

if (failed.Count > 0)
{
    await Console.Error.WriteLineAsync($"failed: {string.Join(", ", failed)}");
    return 1;
}

return 0;

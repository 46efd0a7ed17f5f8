using System.Globalization;

namespace ClaimStore.Benchmarks.Infrastructure;

public enum BenchSize
{
    /// <summary>Seconds per scenario, tiny counts: CI runs it so the suite never rots. Figures mean nothing.</summary>
    Smoke,

    /// <summary>The sizes of the issue: minutes per scenario; the figures in docs/benchmarks.md.</summary>
    Full,
}

/// <summary>The command line: <c>&lt;scenario&gt; [--size smoke|full] [--rounds N] [--results DIR] [--only VARIANT] [--claims N] [--hosts N]</c>.</summary>
public sealed record BenchOptions(
    string Scenario, BenchSize Size, int Rounds, string ResultsDirectory, bool RoundsGiven = false, string? Only = null, int? Claims = null,
    int Hosts = 1)
{
    public static readonly string[] Scenarios = ["append", "read", "lag", "rebuild", "scale", "readside", "search", "feeds", "ui", "import", "testing", "telemetry"];

    public const string Usage =
        "usage: dotnet run -c Release --project tests/ClaimStore.Benchmarks -- <append|read|lag|rebuild|scale|readside|search|feeds|ui|import|testing|telemetry|all> "
        + "[--size smoke|full] [--rounds N] [--results DIR] [--only VARIANT] [--claims N] [--hosts N]";

    public bool IsSmoke => Size == BenchSize.Smoke;

    /// <summary>Picks the smoke or the full value.</summary>
    public T Pick<T>(T smoke, T full) => IsSmoke ? smoke : full;

    /// <summary>A scenario's claim count: <paramref name="full"/>, or what --claims gave, at full size.</summary>
    public int ClaimsOr(int smoke, int full) => IsSmoke ? smoke : Claims ?? full;

    /// <summary>The rounds of a scenario whose full rounds are long: <paramref name="full"/> unless --rounds was given.</summary>
    public int RoundsOr(int full) => RoundsGiven || IsSmoke ? Rounds : full;

    public static BenchOptions? Parse(string[] args, out string? error)
    {
        error = null;
        if (args.Length == 0)
        {
            error = "no scenario given";
            return null;
        }

        var scenario = args[0].ToLowerInvariant();
        if (scenario != "all" && !Scenarios.Contains(scenario))
        {
            error = $"unknown scenario '{args[0]}'";
            return null;
        }

        var size = BenchSize.Full;
        int? rounds = null;
        string? results = null;
        string? only = null;
        int? claims = null;
        var hosts = 1;
        for (var i = 1; i < args.Length; i++)
        {
            var value = i + 1 < args.Length ? args[i + 1] : null;
            switch (args[i])
            {
                case "--size" when value is "smoke" or "full":
                    size = value == "smoke" ? BenchSize.Smoke : BenchSize.Full;
                    i++;
                    break;
                case "--rounds" when Positive(value) is { } n:
                    rounds = n;
                    i++;
                    break;
                case "--results" when !string.IsNullOrWhiteSpace(value):
                    results = value;
                    i++;
                    break;
                case "--claims" when Positive(value) is { } c:
                    claims = c;
                    i++;
                    break;
                case "--hosts" when Positive(value) is { } h:
                    hosts = h;
                    i++;
                    break;
                case "--only" when !string.IsNullOrWhiteSpace(value):
                    only = value;
                    i++;
                    break;
                default:
                    error = $"unknown or incomplete option '{args[i]}'";
                    return null;
            }
        }

        return new BenchOptions(
            scenario,
            size,
            rounds ?? (size == BenchSize.Smoke ? 1 : 5),
            Path.GetFullPath(results ?? Path.Combine(Checkout.Root, "benchmark-results")),
            rounds is not null,
            only,
            claims,
            hosts);
    }

    private static int? Positive(string? value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : null;
}


/// <summary>Where the checkout is: the folder holding ClaimStore.sln above the running program.</summary>
public static class Checkout
{
    public static string Root { get; } = Find();

    private static string Find()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "ClaimStore.sln")))
                {
                    return dir.FullName;
                }
            }
        }

        return Directory.GetCurrentDirectory();
    }
}

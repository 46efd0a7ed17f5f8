using System.Globalization;
using System.Text;

namespace ClaimStore.Benchmarks.Infrastructure;

/// <summary>
/// The figures of one scenario run: printed as <c>key: value</c> lines a script can parse (other
/// lines start with <c>#</c>), and written to <c>&lt;results&gt;/&lt;size&gt;/&lt;scenario&gt;.csv</c>
/// for the chart script.
/// </summary>
public sealed class Report(string scenario, BenchOptions options)
{
    private readonly List<(string Key, double Value)> _figures = [];

    public string Scenario { get; } = scenario;

    /// <summary>Unexpected answers (wrong status codes, exceptions): a smoke run with any fails.</summary>
    public long Errors { get; private set; }

    /// <summary>Prints and keeps <c>&lt;scenario&gt;.&lt;key&gt;: value</c>.</summary>
    public void Figure(string key, double value, int decimals = 1)
    {
        var fullKey = $"{Scenario}.{key}";
        var rounded = Math.Round(value, decimals);
        _figures.Add((fullKey, rounded));
        Console.WriteLine($"{fullKey}: {Format(rounded, decimals)}");
    }

    /// <summary>A named comparison; the scenario's main one is also printed as a bare <c>ratio:</c> line.</summary>
    public void Ratio(string key, double value, bool main = false)
    {
        Figure(key, value, 2);
        if (main)
        {
            _figures.Add(("ratio", Math.Round(value, 2)));
            Console.WriteLine($"ratio: {Format(Math.Round(value, 2), 2)}");
        }
    }

    public void CountErrors(long errors, string what)
    {
        if (errors > 0)
        {
            Errors += errors;
            Note($"{errors} unexpected answers: {what}");
        }
    }

    public static void Note(string text) => Console.WriteLine($"# {text}");

    public void Save()
    {
        var directory = Path.Combine(options.ResultsDirectory, options.Size.ToString().ToLowerInvariant());
        Directory.CreateDirectory(directory);
        var csv = new StringBuilder("scenario,size,key,value\n");
        foreach (var (key, value) in _figures)
        {
            csv.Append(CultureInfo.InvariantCulture, $"{Scenario},{options.Size.ToString().ToLowerInvariant()},{key},{value.ToString("R", CultureInfo.InvariantCulture)}\n");
        }

        var path = Path.Combine(directory, $"{Scenario}.csv");
        File.WriteAllText(path, csv.ToString());
        Note($"results written to {path}");
    }

    private static string Format(double value, int decimals) =>
        value.ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
}

public static class Stats
{
    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0)
        {
            return double.NaN;
        }

        var mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    /// <summary>Nearest-rank percentile of sorted values.</summary>
    public static double Percentile(double[] sorted, double percent)
    {
        if (sorted.Length == 0)
        {
            return double.NaN;
        }

        var rank = (int)Math.Ceiling(percent / 100 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }
}

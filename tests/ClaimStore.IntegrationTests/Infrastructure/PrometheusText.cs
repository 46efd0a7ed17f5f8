using System.Globalization;

namespace ClaimStore.IntegrationTests.Infrastructure;

/// <summary>A Prometheus text exposition (what <c>/metrics</c> answers), read as a scraper reads it.</summary>
public sealed class PrometheusText
{
    private readonly List<(string Name, string Labels, double Value)> _samples = [];
    private readonly HashSet<string> _families = new(StringComparer.Ordinal);

    public static PrometheusText Parse(string text)
    {
        var parsed = new PrometheusText();
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                parsed._families.Add(line.Split(' ')[2]);
                continue;
            }

            if (line.StartsWith('#'))
            {
                continue;
            }

            // name{labels} value [timestamp], or name value [timestamp]
            var brace = line.IndexOf('{', StringComparison.Ordinal);
            var close = brace > 0 ? line.LastIndexOf('}') : -1;
            var name = brace > 0 ? line[..brace] : line[..line.IndexOf(' ', StringComparison.Ordinal)];
            var labels = brace > 0 ? line[(brace + 1)..close] : "";
            var rest = brace > 0 ? line[(close + 1)..] : line[name.Length..];
            var value = rest.Trim().Split(' ')[0] switch
            {
                "+Inf" => double.PositiveInfinity,
                "-Inf" => double.NegativeInfinity,
                var v => double.Parse(v, CultureInfo.InvariantCulture),
            };
            parsed._samples.Add((name, labels, value));
        }

        return parsed;
    }

    /// <summary>The metric families declared with <c># TYPE</c>.</summary>
    public IReadOnlySet<string> Families => _families;

    /// <summary>Every sample's name (histograms as <c>_bucket</c>, <c>_sum</c>, <c>_count</c>).</summary>
    public IEnumerable<string> SampleNames => _samples.Select(s => s.Name).Distinct(StringComparer.Ordinal);

    /// <summary>The sum of the samples named <paramref name="name"/> whose labels contain <paramref name="labelFilter"/>; 0 when none.</summary>
    public double Sum(string name, string labelFilter = "") =>
        _samples.Where(s => s.Name == name && s.Labels.Contains(labelFilter, StringComparison.Ordinal)).Sum(s => s.Value);

    public bool Has(string name) => _samples.Any(s => s.Name == name);
}

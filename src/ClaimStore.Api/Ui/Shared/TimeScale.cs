using System.Globalization;

namespace ClaimStore.Api.Ui.Shared;

/// <summary>
/// Maps valid time onto the x axis of the workbench's SVG charts: <see cref="Width"/> user units from
/// <see cref="Start"/> to <see cref="End"/>, with a few dated ticks.
/// </summary>
public sealed record TimeScale(DateTimeOffset Start, DateTimeOffset End, double Width = 1000)
{
    /// <summary>The span of <paramref name="instants"/>, padded so that a single instant still has room.</summary>
    public static TimeScale Around(IEnumerable<DateTimeOffset> instants, double width = 1000)
    {
        var all = instants.ToList();
        if (all.Count == 0)
        {
            var today = DateTimeOffset.UtcNow.Date;
            return new TimeScale(today.AddDays(-1), today.AddDays(1), width);
        }

        var (start, end) = (all.Min(), all.Max());
        var pad = TimeSpan.FromTicks(Math.Max((end - start).Ticks / 20, TimeSpan.FromDays(1).Ticks));
        return new TimeScale(start - pad, end + pad, width);
    }

    public double X(DateTimeOffset instant)
    {
        var span = (End - Start).Ticks;
        var x = span <= 0 ? 0 : (instant - Start).Ticks / (double)span * Width;
        return Math.Clamp(x, 0, Width);
    }

    /// <summary>Up to <paramref name="count"/> ticks at whole days, evenly spread.</summary>
    public IEnumerable<(double X, string Label)> Ticks(int count = 4)
    {
        for (var i = 0; i <= count; i++)
        {
            var at = Start + (End - Start) * i / count;
            var day = new DateTimeOffset(at.UtcDateTime.Date, TimeSpan.Zero);
            yield return (X(day), day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        }
    }

    public static string N(double value) => value.ToString("0.#", CultureInfo.InvariantCulture);
}

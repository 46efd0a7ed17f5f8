using System.Diagnostics;
using Spectre.Console;

namespace ClaimStore.Cli.Output;

/// <summary>What a long-running command reports as it goes.</summary>
internal interface IProgressReport
{
    /// <summary>Advances to <paramref name="done"/> of the total, with a line saying what that is.</summary>
    void Report(double done, string description);
}

/// <summary>
/// A progress bar with the rate and the time left on a terminal; elsewhere (a log, CI) a plain line on
/// standard error every few seconds.
/// </summary>
internal static class ProgressDisplay
{
    private static readonly TimeSpan PlainInterval = TimeSpan.FromSeconds(5);

    public static async Task<T> RunAsync<T>(CliConsole console, string description, double total, Func<IProgressReport, Task<T>> work)
    {
        if (!console.Interactive)
        {
            return await work(new PlainReport(console.ErrorText, total));
        }

        return await console.Error.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(),
                new RemainingTimeColumn(), new SpinnerColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask(Markup.Escape(description), maxValue: Math.Max(total, 1));
                var result = await work(new LiveReport(task));
                task.Value = task.MaxValue;
                task.StopTask();
                return result;
            });
    }

    private sealed class LiveReport(ProgressTask task) : IProgressReport
    {
        public void Report(double done, string description)
        {
            task.Value = Math.Min(done, task.MaxValue);
            task.Description = Markup.Escape(description);
        }
    }

    private sealed class PlainReport(TextWriter error, double total) : IProgressReport
    {
        private readonly Stopwatch _sinceLast = Stopwatch.StartNew();

        public void Report(double done, string description)
        {
            if (_sinceLast.Elapsed < PlainInterval)
            {
                return;
            }

            _sinceLast.Restart();
            var percent = total > 0 ? $" {Math.Min(100, 100 * done / total):0}%" : "";
            lock (error)
            {
                error.WriteLine($"{description}{percent}");
            }
        }
    }
}

using Spectre.Console;

namespace ClaimStore.Cli.Output;

/// <summary>
/// Where a command writes: tables and data to standard output, progress and messages to standard
/// error, so that <c>claimstore … --json | jq</c> and <c>claimstore export &gt; file</c> get data only.
/// </summary>
internal sealed class CliConsole(TextWriter output, TextWriter error, Func<Stream> openOutput, bool interactive)
{
    public TextWriter OutputText { get; } = output;

    public TextWriter ErrorText { get; } = error;

    /// <summary>Tables for people.</summary>
    public IAnsiConsole Out { get; } = Create(output, interactive);

    /// <summary>Progress, summaries of exports and messages.</summary>
    public IAnsiConsole Error { get; } = Create(error, interactive);

    /// <summary>Whether a person watches standard error (a terminal): only then is there a live progress bar.</summary>
    public bool Interactive { get; } = interactive;

    /// <summary>Standard output as bytes, for an export without <c>--out</c>.</summary>
    public Stream OpenOutput() => openOutput();

    public static CliConsole System() => new(
        Console.Out, Console.Error, Console.OpenStandardOutput,
        !Console.IsErrorRedirected && Environment.GetEnvironmentVariable("CI") is null);

    public void Fail(string message) => Error.MarkupLine($"[red]error:[/] {Markup.Escape(message)}");

    public void Warn(string message) => Error.MarkupLine($"[yellow]warning:[/] {Markup.Escape(message)}");

    private static IAnsiConsole Create(TextWriter writer, bool interactive)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = interactive ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = interactive ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = interactive ? InteractionSupport.Detect : InteractionSupport.No,
        });
        if (!interactive)
        {
            // A log or a pipe has no width: a message wrapped at 80 columns would break grep and scripts.
            console.Profile.Width = 4096;
        }

        return console;
    }
}

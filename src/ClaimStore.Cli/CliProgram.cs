using System.CommandLine;
using ClaimStore.Cli.Cluster;
using ClaimStore.Cli.Connection;
using ClaimStore.Cli.Contradictions;
using ClaimStore.Cli.Export;
using ClaimStore.Cli.Import;
using ClaimStore.Cli.Output;
using ClaimStore.Cli.Replay;
using ClaimStore.Cli.Search;
using ClaimStore.Cli.Timelines;

namespace ClaimStore.Cli;

/// <summary>The <c>claimstore</c> command line.</summary>
public static class CliProgram
{
    public static Task<int> Main(string[] args) => RunAsync(args, CliConsole.System(), CancellationToken.None);

    /// <summary>Runs one command line; tests call it in-process with their own writers.</summary>
    public static Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken) =>
        RunAsync(args, new CliConsole(output, error, () => throw new InvalidOperationException("Pass --out."), interactive: false), cancellationToken);

    internal static async Task<int> RunAsync(string[] args, CliConsole console, CancellationToken cancellationToken)
    {
        var root = new RootCommand("claimstore: import, export and replay the claims of a ClaimStore host over its HTTP API.");
        root.Options.Add(CommonOptions.Url);
        root.Options.Add(CommonOptions.ApiKey);
        root.Options.Add(CommonOptions.Json);
        root.Subcommands.Add(ImportCommand.Create(console));
        root.Subcommands.Add(ExportCommand.Create(console));
        root.Subcommands.Add(ReplayCommand.Create(console));
        root.Subcommands.Add(TimelineCommand.Create(console));
        root.Subcommands.Add(ContradictionsCommand.Create(console));
        root.Subcommands.Add(SearchCommand.Create(console));
        root.Subcommands.Add(ClusterCommand.Create(console));

        var configuration = new InvocationConfiguration { Output = console.OutputText, Error = console.ErrorText };
        return await root.Parse(args).InvokeAsync(configuration, cancellationToken);
    }
}

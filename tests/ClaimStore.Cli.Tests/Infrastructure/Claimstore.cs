namespace ClaimStore.Cli.Tests.Infrastructure;

/// <summary>What one run of the command line printed and returned.</summary>
public sealed record CliResult(int ExitCode, string Output, string Error)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Output}\n--- stderr\n{Error}";
}

/// <summary>Runs <c>claimstore</c> in-process through its entry point, against a host, with the writer key.</summary>
public static class Claimstore
{
    public static Task<CliResult> RunAsync(StoreHost host, params string[] args) => RunAsync(host, CancellationToken.None, args);

    public static async Task<CliResult> RunAsync(StoreHost host, CancellationToken cancellationToken, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exitCode = await CliProgram.RunAsync([.. args, "--url", host.Url, "--api-key", StoreHost.WriterKey], output, error, cancellationToken);
        return new CliResult(exitCode, output.ToString(), error.ToString());
    }
}

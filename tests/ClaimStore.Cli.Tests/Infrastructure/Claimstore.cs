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

    public static Task<CliResult> RunAsync(StoreHost host, CancellationToken cancellationToken, params string[] args) =>
        RunAsync(host, new LiveWriter(), cancellationToken, args);

    /// <summary>Runs with standard output going to <paramref name="output"/>, which the test may read while the command runs.</summary>
    public static async Task<CliResult> RunAsync(StoreHost host, LiveWriter output, CancellationToken cancellationToken, params string[] args)
    {
        using var error = new LiveWriter();
        var exitCode = await CliProgram.RunAsync([.. args, "--url", host.Url, "--api-key", StoreHost.WriterKey], output, error, cancellationToken);
        return new CliResult(exitCode, output.Text, error.Text);
    }
}

/// <summary>A text writer that a test can read while the command still writes to it.</summary>
public sealed class LiveWriter : TextWriter
{
    private readonly System.Text.StringBuilder _text = new();

    public override System.Text.Encoding Encoding => System.Text.Encoding.UTF8;

    public string Text
    {
        get
        {
            lock (_text)
            {
                return _text.ToString();
            }
        }
    }

    public override void Write(char value)
    {
        lock (_text)
        {
            _text.Append(value);
        }
    }

    public override void Write(string? value)
    {
        lock (_text)
        {
            _text.Append(value);
        }
    }

    public override void Write(char[] buffer, int index, int count)
    {
        lock (_text)
        {
            _text.Append(buffer, index, count);
        }
    }
}

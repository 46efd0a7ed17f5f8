namespace ClaimStore.Cli.Connection;

/// <summary>Exit codes scripts can rely on.</summary>
internal static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>The command ran, but the host rejected some claims (or a file had malformed records).</summary>
    public const int Rejected = 1;

    /// <summary>Bad arguments or an unreadable input file.</summary>
    public const int Usage = 2;

    /// <summary>The host could not be reached, refused the key, or answered with an error.</summary>
    public const int HostError = 3;

    /// <summary>Interrupted (Ctrl+C); an import resumes where it stopped when run again.</summary>
    public const int Interrupted = 130;
}

/// <summary>A failure the user must read: its message is printed and the process exits with <see cref="ExitCode"/>.</summary>
internal sealed class CliException(int exitCode, string message) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}

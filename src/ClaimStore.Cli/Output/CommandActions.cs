using System.CommandLine;
using ClaimStore.Cli.Connection;

namespace ClaimStore.Cli.Output;

/// <summary>Runs a command's handler and turns its failures into a message and an exit code.</summary>
internal static class CommandActions
{
    public static void SetHandler(this Command command, CliConsole console, Func<ParseResult, CancellationToken, Task<int>> handler) =>
        command.SetAction(async (parse, cancellationToken) =>
        {
            try
            {
                return await handler(parse, cancellationToken);
            }
            catch (CliException e)
            {
                console.Fail(e.Message);
                return e.ExitCode;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                console.Warn("Interrupted.");
                return ExitCodes.Interrupted;
            }
        });
}

using System.CommandLine;
using ClaimStore.Cli.Output;

namespace ClaimStore.Cli.Replay;

internal static class ReplayCommand
{
    public static Command Create(CliConsole console)
    {
        var command = new Command("replay", "Walk the global log event by event.");
        command.SetHandler(console, (_, _) => Task.FromResult(0));
        return command;
    }
}

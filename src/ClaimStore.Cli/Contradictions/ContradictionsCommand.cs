using System.CommandLine;
using System.Text.Json.Nodes;
using ClaimStore.Cli.Connection;
using ClaimStore.Cli.Output;
using Spectre.Console;

namespace ClaimStore.Cli.Contradictions;

/// <summary><c>claimstore contradictions</c>: the contradictions the host has found, filtered.</summary>
internal static class ContradictionsCommand
{
    private static readonly Option<string> Status = new("--status") { Description = "open or resolved." };

    private static readonly Option<string> Actor = new("--actor") { Description = "Only contradictions this actor is part of." };

    private static readonly Option<string> Proposition = new("--proposition") { Description = "Only this proposition, by key." };

    private static readonly Option<string> Kind = new("--kind")
    {
        Description = "opposing-stances, self-reversal or incompatible-quantities.",
    };

    public static Command Create(CliConsole console)
    {
        Status.AcceptOnlyFromAmong("open", "resolved");
        Kind.AcceptOnlyFromAmong("opposing-stances", "self-reversal", "incompatible-quantities");
        var command = new Command("contradictions", "List contradictions between actors' positions.") { Status, Actor, Proposition, Kind };
        command.SetHandler(console, async (parse, cancellationToken) =>
        {
            using var client = CommonOptions.Client(parse);
            var path = "contradictions" + Query.Of(
                ("actorId", parse.GetValue(Actor)), ("propositionKey", parse.GetValue(Proposition)),
                ("kind", parse.GetValue(Kind)), ("status", parse.GetValue(Status)));
            var contradictions = (JsonArray)(await client.GetJsonAsync(path, cancellationToken))!;
            if (parse.GetValue(CommonOptions.Json))
            {
                await console.OutputText.WriteLineAsync(contradictions.ToJsonString());
                return ExitCodes.Ok;
            }

            var table = new Table().AddColumns("Opened", "Kind", "Proposition", "Actors", "Status", "Resolved", "Id");
            foreach (var c in contradictions.OfType<JsonObject>())
            {
                var open = (string?)c["status"] == "open";
                table.AddRow(
                    Tables.Time(c["openedAt"]), Markup.Escape((string)c["kind"]!), Markup.Escape((string)c["propositionKey"]!),
                    Markup.Escape(string.Join(" ↔ ", c["actorIds"]!.AsArray().Select(a => (string?)a))),
                    open ? "[yellow]open[/]" : "resolved", Tables.Time(c["resolvedAt"]), Markup.Escape((string)c["contradictionId"]!));
            }

            console.Out.Write(table);
            console.Out.MarkupLine($"{contradictions.Count} contradiction{(contradictions.Count == 1 ? "" : "s")}.");
            return ExitCodes.Ok;
        });
        return command;
    }
}

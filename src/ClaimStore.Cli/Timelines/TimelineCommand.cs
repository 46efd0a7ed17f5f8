using System.CommandLine;
using System.Text.Json.Nodes;
using ClaimStore.Cli.Claims;
using ClaimStore.Cli.Connection;
using ClaimStore.Cli.Output;
using Spectre.Console;

namespace ClaimStore.Cli.Timelines;

/// <summary><c>claimstore timeline ACTOR</c>: the actor's positions along valid time, period by period.</summary>
internal static class TimelineCommand
{
    private static readonly Argument<string> Actor = new("ACTOR") { Description = "The actor's id (slug), e.g. nato." };

    private static readonly Option<string> Proposition = new("--proposition")
    {
        Description = "Only this proposition, by key, e.g. china:sends-drones-to:russia.",
    };

    private static readonly Option<string> KnownAt = new("--known-at")
    {
        Description = "As the store knew it at this instant (transaction time).",
    };

    public static Command Create(CliConsole console)
    {
        var command = new Command("timeline", "An actor's positions over time, as periods.") { Actor, Proposition, KnownAt };
        command.SetHandler(console, async (parse, cancellationToken) =>
        {
            using var client = CommonOptions.Client(parse);
            var actor = parse.GetValue(Actor)!;
            var knownAt = Times.Parse("--known-at", parse.GetValue(KnownAt));
            var path = $"actors/{Query.Segment(actor)}/timeline"
                + Query.Of(("propositionKey", parse.GetValue(Proposition)), ("knownAt", knownAt is { } k ? Times.Format(k) : null));
            var timeline = await client.GetJsonAsync(path, cancellationToken, notFoundIsNull: true)
                ?? throw new CliException(ExitCodes.HostError, $"Actor '{actor}' is not registered.");
            if (parse.GetValue(CommonOptions.Json))
            {
                await console.OutputText.WriteLineAsync(timeline.ToJsonString());
                return ExitCodes.Ok;
            }

            var table = new Table().Title(Markup.Escape($"Timeline of {actor}"))
                .AddColumns("Proposition", "Stance", "Certainty", "Quantity", "From", "To", "Claims");
            foreach (var proposition in timeline["propositions"]!.AsArray().OfType<JsonObject>())
            {
                var key = (string)proposition["propositionKey"]!;
                foreach (var period in proposition["periods"]!.AsArray().OfType<JsonObject>())
                {
                    table.AddRow(
                        Markup.Escape(key), Stance((string)period["stance"]!), Markup.Escape((string?)period["certainty"] ?? ""),
                        Markup.Escape(Tables.Quantity(period["quantity"])), Tables.Time(period["from"]), Tables.Time(period["to"], "now"),
                        period["claimIds"]!.AsArray().Count.ToString(System.Globalization.CultureInfo.InvariantCulture));
                    key = "";
                }
            }

            console.Out.Write(table);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static string Stance(string stance) => stance == "affirms" ? "[green]affirms[/]" : "[red]denies[/]";
}

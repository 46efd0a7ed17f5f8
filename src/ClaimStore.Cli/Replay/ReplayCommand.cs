using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ClaimStore.Cli.Claims;
using ClaimStore.Cli.Connection;
using ClaimStore.Cli.Output;
using ClaimStore.Domain.Contradictions;
using Spectre.Console;

namespace ClaimStore.Cli.Replay;

/// <summary>
/// <c>claimstore replay</c>: walks the global log from its start and prints, event by event, the
/// positions taken or given up and the contradictions opened, resolved or withdrawn. The filters choose
/// what is printed, not what is folded: positions and contradictions always follow the whole log.
/// </summary>
internal static class ReplayCommand
{
    private static readonly Option<long> AfterSequence = new("--after-sequence")
    {
        Description = "Print only events after this global sequence number.",
    };

    private static readonly Option<string> From = new("--from")
    {
        Description = "Print only events recorded at or after this instant (transaction time).",
    };

    private static readonly Option<string> Actor = new("--actor")
    {
        Description = "Print only this actor's events and the contradictions it is part of.",
    };

    private static readonly Option<bool> Follow = new("--follow", "-f")
    {
        Description = "After the log's head, keep following new events live (Server-Sent Events) until Ctrl+C.",
    };

    public static Command Create(CliConsole console)
    {
        var command = new Command("replay", "Walk the global log and print what each event changed.") { AfterSequence, From, Actor, Follow };
        command.SetHandler(console, (parse, cancellationToken) => RunAsync(parse, console, cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(ParseResult parse, CliConsole console, CancellationToken cancellationToken)
    {
        var after = parse.GetValue(AfterSequence);
        var from = Times.Parse("--from", parse.GetValue(From));
        var actor = parse.GetValue(Actor);
        var json = parse.GetValue(CommonOptions.Json);
        using var client = CommonOptions.Client(parse);
        var fold = new ReplayFold();
        long last = 0;

        async Task ApplyAsync(string line)
        {
            using var document = JsonDocument.Parse(line);
            var step = fold.Apply(document.RootElement);
            last = step.Sequence;
            if (step.Sequence <= after || from is { } f && step.RecordedAt < f)
            {
                return;
            }

            if (actor is not null && step.ActorId != actor)
            {
                var theirs = step.Contradictions.Where(c => c.Contradiction.ActorIds.Contains(actor)).ToList();
                if (theirs.Count == 0)
                {
                    return;
                }

                step = step with { Positions = [], Contradictions = theirs };
            }

            if (json)
            {
                await console.OutputText.WriteLineAsync(ToJson(step).ToJsonString());
            }
            else
            {
                Print(console, step);
            }

            await console.OutputText.FlushAsync(cancellationToken);
        }

        await foreach (var line in client.ReadLogAsync(0, null, cancellationToken))
        {
            await ApplyAsync(line.Json);
        }

        if (!parse.GetValue(Follow))
        {
            return ExitCodes.Ok;
        }

        if (!json)
        {
            console.Error.MarkupLine(Markup.Escape($"At the log's head (sequence {last}); following new events. Ctrl+C stops."));
        }

        await foreach (var message in client.FollowAsync($"events/stream?afterSequence={last}", null, cancellationToken))
        {
            if (message.Data.Length > 0 && message.Data[0] == '{')
            {
                await ApplyAsync(message.Data);
            }
        }

        return ExitCodes.Ok;
    }

    private static void Print(CliConsole console, ReplayStep step)
    {
        var head = $"#{step.Sequence} {Times.Format(step.RecordedAt)} {step.ActorId} {step.Type}";
        if (step.Type == "ClaimRecorded")
        {
            var claim = step.Data.GetProperty("claim");
            var p = claim.GetProperty("proposition");
            var key = string.Join(':', new[] { p.GetProperty("subject").GetString(), p.GetProperty("predicate").GetString(),
                p.TryGetProperty("object", out var o) && o.ValueKind == JsonValueKind.String ? o.GetString() : null }.Where(s => s is not null));
            head += $" {claim.GetProperty("stance").GetString()} {key} (stated {Tables.Time(claim.GetProperty("statedAt").GetString())}) {step.Data.GetProperty("claimId").GetString()}";
        }
        else if (step.Type == "ClaimRetracted")
        {
            head += $" {step.Data.GetProperty("claimId").GetString()}";
        }

        var text = console.OutputText;
        text.WriteLine(head);
        foreach (var change in step.Positions)
        {
            var position = change.Position;
            var verb = change.Kind == PositionChangeKind.Taken ? "takes" : "gives up";
            var quantity = position.Quantity is { } q ? $" {q.Min.ToString(CultureInfo.InvariantCulture)}–{q.Max.ToString(CultureInfo.InvariantCulture)} {q.Unit}" : "";
            text.WriteLine($"    position: {position.ActorId} {verb} {position.Stance} ({position.Certainty}{quantity}) on {position.PropositionKey}, since {Tables.Time(position.Since.ToString("O", CultureInfo.InvariantCulture))}");
        }

        foreach (var change in step.Contradictions)
        {
            var c = change.Contradiction;
            var resolved = c.ResolvedAt is { } r ? $", resolved {Tables.Time(r.ToString("O", CultureInfo.InvariantCulture))}" : "";
            text.WriteLine($"    contradiction {Word(change.Kind)}: {Kebab(c.Kind)} {string.Join(" ↔ ", c.ActorIds)} on {c.PropositionKey}, opened {Tables.Time(c.OpenedAt.ToString("O", CultureInfo.InvariantCulture))}{resolved} [{c.ContradictionId}]");
        }
    }

    private static JsonObject ToJson(ReplayStep step) => new()
    {
        ["sequence"] = step.Sequence,
        ["type"] = step.Type,
        ["actorId"] = step.ActorId,
        ["recordedAt"] = Times.Format(step.RecordedAt),
        ["claimId"] = step.Data.TryGetProperty("claimId", out var id) ? id.GetString() : null,
        ["positions"] = new JsonArray([.. step.Positions.Select(p => (JsonNode)new JsonObject
        {
            ["change"] = p.Kind == PositionChangeKind.Taken ? "taken" : "given-up",
            ["actorId"] = p.Position.ActorId,
            ["propositionKey"] = p.Position.PropositionKey,
            ["stance"] = p.Position.Stance,
            ["certainty"] = p.Position.Certainty,
            ["quantity"] = p.Position.Quantity is { } q ? new JsonObject { ["min"] = q.Min, ["max"] = q.Max, ["unit"] = q.Unit } : null,
            ["since"] = Times.Format(p.Position.Since),
            ["claimId"] = p.Position.ClaimId.ToString(),
        })]),
        ["contradictions"] = new JsonArray([.. step.Contradictions.Select(c => (JsonNode)new JsonObject
        {
            ["change"] = Word(c.Kind),
            ["contradictionId"] = c.Contradiction.ContradictionId,
            ["kind"] = Kebab(c.Contradiction.Kind),
            ["propositionKey"] = c.Contradiction.PropositionKey,
            ["actorIds"] = new JsonArray([.. c.Contradiction.ActorIds.Select(a => (JsonNode)a)]),
            ["claimIds"] = new JsonArray([.. c.Contradiction.ClaimIds.Select(a => (JsonNode)a.ToString())]),
            ["openedAt"] = Times.Format(c.Contradiction.OpenedAt),
            ["resolvedAt"] = c.Contradiction.ResolvedAt is { } r ? Times.Format(r) : null,
            ["status"] = c.Contradiction.ResolvedAt is null ? "open" : "resolved",
        })]),
    };

    private static string Word(ContradictionChangeKind kind) => kind.ToString().ToLowerInvariant();

    private static string Kebab(ContradictionKind kind) => kind switch
    {
        ContradictionKind.OpposingStances => "opposing-stances",
        ContradictionKind.SelfReversal => "self-reversal",
        _ => "incompatible-quantities",
    };
}

using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using ClaimStore.Cli.Claims;
using ClaimStore.Cli.Connection;
using ClaimStore.Cli.Output;
using Spectre.Console;

namespace ClaimStore.Cli.Search;

/// <summary><c>claimstore search WORDS…</c>: claims whose quote or source title holds every word, newest first.</summary>
internal static class SearchCommand
{
    private static readonly Argument<string[]> Words = new("WORDS")
    {
        Description = "Words that must all occur (inflections matched in the claim's language).",
        Arity = ArgumentArity.ZeroOrMore,
    };

    private static readonly Option<string> Actor = new("--actor") { Description = "Only this actor's claims." };

    private static readonly Option<string> Proposition = new("--proposition") { Description = "Only claims on this proposition, by key." };

    private static readonly Option<string> Language = new("--language") { Description = "Only claims in this language, e.g. de." };

    private static readonly Option<string> From = new("--from") { Description = "Only claims stated at or after this instant." };

    private static readonly Option<string> To = new("--to") { Description = "Only claims stated at or before this instant." };

    private static readonly Option<bool> IncludeRetracted = new("--include-retracted") { Description = "Retracted claims too." };

    private static readonly Option<int> Limit = new("--limit")
    {
        Description = "At most this many claims (pages through the results).",
        DefaultValueFactory = _ => 50,
    };

    public static Command Create(CliConsole console)
    {
        var command = new Command("search", "Search claims across actors.")
        {
            Words, Actor, Proposition, Language, From, To, IncludeRetracted, Limit,
        };
        command.SetHandler(console, async (parse, cancellationToken) =>
        {
            using var client = CommonOptions.Client(parse);
            var from = Times.Parse("--from", parse.GetValue(From));
            var to = Times.Parse("--to", parse.GetValue(To));
            var limit = Math.Max(1, parse.GetValue(Limit));
            var claims = new JsonArray();
            string? cursor = null;
            do
            {
                var path = "claims" + Query.Of(
                    ("q", string.Join(' ', parse.GetValue(Words) ?? [])), ("actorId", parse.GetValue(Actor)),
                    ("propositionKey", parse.GetValue(Proposition)), ("language", parse.GetValue(Language)),
                    ("statedFrom", from is { } f ? Times.Format(f) : null), ("statedTo", to is { } t ? Times.Format(t) : null),
                    ("includeRetracted", parse.GetValue(IncludeRetracted) ? "true" : null),
                    ("limit", Math.Min(500, limit - claims.Count).ToString(CultureInfo.InvariantCulture)), ("cursor", cursor));
                var page = (await client.GetJsonAsync(path, cancellationToken))!;
                foreach (var claim in page["claims"]!.AsArray().ToList())
                {
                    claims.Add(claim!.DeepClone());
                }

                cursor = (string?)page["nextCursor"];
            }
            while (cursor is not null && claims.Count < limit);

            if (parse.GetValue(CommonOptions.Json))
            {
                await console.OutputText.WriteLineAsync(claims.ToJsonString());
                return ExitCodes.Ok;
            }

            var table = new Table().AddColumns("Stated", "Actor", "Stance", "Proposition", "Quote", "Claim");
            foreach (var c in claims.OfType<JsonObject>())
            {
                var retracted = (bool?)c["retracted"] == true ? " [grey](retracted)[/]" : "";
                table.AddRow(
                    Tables.Time(c["statedAt"]), Markup.Escape((string)c["actorId"]!), Markup.Escape((string)c["stance"]!) + retracted,
                    Markup.Escape((string)c["propositionKey"]!), Markup.Escape(Tables.Shorten((string?)c["quote"], 80)),
                    Markup.Escape((string)c["claimId"]!));
            }

            console.Out.Write(table);
            console.Out.MarkupLine($"{claims.Count} claim{(claims.Count == 1 ? "" : "s")}{(cursor is null ? "" : " (more with --limit)")}.");
            return ExitCodes.Ok;
        });
        return command;
    }
}

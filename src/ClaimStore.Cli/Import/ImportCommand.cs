using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using ClaimStore.Cli.Connection;
using ClaimStore.Cli.Output;
using Spectre.Console;

namespace ClaimStore.Cli.Import;

/// <summary><c>claimstore import FILE…</c>: claims from NDJSON, CSV or a JSON array through <c>POST /claims/batch</c>.</summary>
internal static class ImportCommand
{
    private static readonly Argument<FileInfo[]> Files = new("FILE")
    {
        Description = "Files of claims: NDJSON (one object a line), CSV with a header row, or a JSON array.",
        Arity = ArgumentArity.OneOrMore,
    };

    private static readonly Option<string> Format = new("--format")
    {
        Description = "ndjson, csv or json (default: from the file's extension: .csv, .json, else ndjson).",
    };

    private static readonly Option<bool> RegisterActors = new("--register-actors")
    {
        Description = "Register actors the host does not know, named by the actorName column (else their id), with the kind of the actorKind column (else group). Without it they are reported and their claims rejected.",
    };

    private static readonly Option<DirectoryInfo> StateDir = new("--state-dir")
    {
        Description = "Where checkpoints (FILE.import-checkpoint.json) and rejected records (FILE.rejected.ndjson) go (default: beside each file).",
    };

    private static readonly Option<int> BatchSize = new("--batch-size")
    {
        Description = "Claims per request (1 to 1000).",
        DefaultValueFactory = _ => 1000,
    };

    private static readonly Option<int> Parallel = new("--parallel")
    {
        Description = "Requests in flight at once (1 to 16).",
        DefaultValueFactory = _ => 4,
    };

    private static readonly Option<bool> Restart = new("--restart")
    {
        Description = "Ignore a checkpoint and read each file from its start (claims already stored are answered unchanged).",
    };

    public static Command Create(CliConsole console)
    {
        Format.AcceptOnlyFromAmong(ImportFormats.All);
        BatchSize.Validators.Add(r => { if (r.GetValue(BatchSize) is < 1 or > 1000) { r.AddError("--batch-size must be between 1 and 1000."); } });
        Parallel.Validators.Add(r => { if (r.GetValue(Parallel) is < 1 or > 16) { r.AddError("--parallel must be between 1 and 16."); } });
        var command = new Command("import", "Import claims into the host; idempotent and resumable.")
        {
            Files, Format, RegisterActors, StateDir, BatchSize, Parallel, Restart,
        };
        command.SetHandler(console, (parse, cancellationToken) => RunAsync(parse, console, cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(ParseResult parse, CliConsole console, CancellationToken cancellationToken)
    {
        var files = parse.GetValue(Files)!;
        foreach (var missing in files.Where(f => !f.Exists))
        {
            throw new CliException(ExitCodes.Usage, $"No such file: {missing.FullName}");
        }

        var state = parse.GetValue(StateDir);
        if (state is { Exists: false })
        {
            state.Create();
        }

        var settings = new ImportSettings(parse.GetValue(RegisterActors), state, parse.GetValue(BatchSize), parse.GetValue(Parallel), parse.GetValue(Restart));
        using var client = CommonOptions.Client(parse);
        var summaries = new List<FileSummary>();
        foreach (var file in files)
        {
            var format = parse.GetValue(Format) ?? ImportFormats.FromExtension(file.Name);
            summaries.Add(await new ImportRun(client, console, settings, file, format).RunAsync(cancellationToken));
        }

        if (parse.GetValue(CommonOptions.Json))
        {
            await console.OutputText.WriteLineAsync(ToJson(summaries).ToJsonString());
        }
        else
        {
            Show(console, summaries, parse.GetValue(Format));
        }

        return summaries.Any(s => s.Rejected > 0) ? ExitCodes.Rejected : ExitCodes.Ok;
    }

    private static void Show(CliConsole console, List<FileSummary> summaries, string? format)
    {
        var table = new Table().AddColumn("File").AddColumn("Created", c => c.RightAligned())
            .AddColumn("Unchanged", c => c.RightAligned()).AddColumn("Rejected", c => c.RightAligned());
        foreach (var s in summaries)
        {
            table.AddRow(Markup.Escape(Path.GetFileName(s.File)), N(s.Created), N(s.Unchanged), s.Rejected > 0 ? $"[red]{N(s.Rejected)}[/]" : "0");
        }

        if (summaries.Count > 1)
        {
            table.AddRow("[bold]total[/]", N(summaries.Sum(s => s.Created)), N(summaries.Sum(s => s.Unchanged)), N(summaries.Sum(s => s.Rejected)));
        }

        console.Out.Write(table);
        foreach (var s in summaries.Where(s => s.Rejected > 0))
        {
            var where = ImportFormats.PositionName(format ?? ImportFormats.FromExtension(s.File));
            console.Out.MarkupLine(Markup.Escape($"{Path.GetFileName(s.File)}: {N(s.Rejected)} rejected, written with their errors to {s.RejectsFile}"));
            foreach (var r in s.FirstRejected)
            {
                console.Out.MarkupLine(Markup.Escape($"  {where} {r.Line}: {string.Join("; ", r.Errors.Select(e => $"{e.Key}: {string.Join(" ", e.Value)}"))}"));
            }

            if (s.Rejected > s.FirstRejected.Count)
            {
                console.Out.MarkupLine(Markup.Escape($"  … and {N(s.Rejected - s.FirstRejected.Count)} more in the file."));
            }
        }

        var unregistered = summaries.SelectMany(s => s.UnregisteredActors).Distinct().Order(StringComparer.Ordinal).ToList();
        if (unregistered.Count > 0)
        {
            console.Out.MarkupLine(Markup.Escape(
                $"Actors not registered on the host ({unregistered.Count}): {string.Join(", ", unregistered)}. Register them (PUT /actors/{{id}}) or import again with --register-actors."));
        }
    }

    private static JsonObject ToJson(List<FileSummary> summaries) => new()
    {
        ["created"] = summaries.Sum(s => s.Created),
        ["unchanged"] = summaries.Sum(s => s.Unchanged),
        ["rejected"] = summaries.Sum(s => s.Rejected),
        ["files"] = new JsonArray([.. summaries.Select(s => (JsonNode)new JsonObject
        {
            ["file"] = s.File,
            ["records"] = s.Records,
            ["created"] = s.Created,
            ["unchanged"] = s.Unchanged,
            ["rejected"] = s.Rejected,
            ["rejectsFile"] = s.RejectsFile,
            ["unregisteredActors"] = new JsonArray([.. s.UnregisteredActors.Select(a => (JsonNode)a)]),
        })]),
    };

    private static string N(long n) => n.ToString("N0", CultureInfo.InvariantCulture);
}

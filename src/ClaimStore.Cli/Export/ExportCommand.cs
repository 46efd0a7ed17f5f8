using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ClaimStore.Cli.Claims;
using ClaimStore.Cli.Connection;
using ClaimStore.Cli.Output;
using Spectre.Console;

namespace ClaimStore.Cli.Export;

/// <summary>
/// <c>claimstore export</c>: the store's claims (or its raw log) as a file. It reads the global log
/// twice up to the horizon it saw first: its retractions only, then every event to write the claims in
/// log order, so the same store and the same filters always give the same bytes, and memory holds only
/// the ids of retracted claims.
/// </summary>
internal static class ExportCommand
{
    private const int RetractionPage = 1000;

    private static readonly Option<string> Format = new("--format")
    {
        Description = "claims-ndjson (default), claims-csv, events-ndjson (the global log) or jsonld (schema.org Claim).",
        DefaultValueFactory = _ => ExportFormats.ClaimsNdjson,
    };

    private static readonly Option<string> AsOf = new("--as-of")
    {
        Description = "Only claims stated at or before this instant (valid time), e.g. 2024-12-04T00:00:00Z.",
    };

    private static readonly Option<string> KnownAt = new("--known-at")
    {
        Description = "The store as it was at this instant (transaction time): claims recorded and retractions made by then.",
    };

    private static readonly Option<string> Actor = new("--actor")
    {
        Description = "Only this actor's claims (its events, for events-ndjson).",
    };

    private static readonly Option<FileInfo> Out = new("--out", "-o")
    {
        Description = "Write to this file (replaced only once the export is complete) instead of standard output.",
    };

    public static Command Create(CliConsole console)
    {
        Format.AcceptOnlyFromAmong(ExportFormats.All);
        var command = new Command("export", "Export claims (or the event log) from the host.") { Format, AsOf, KnownAt, Actor, Out };
        command.SetHandler(console, (parse, cancellationToken) => RunAsync(parse, console, cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(ParseResult parse, CliConsole console, CancellationToken cancellationToken)
    {
        var format = parse.GetValue(Format)!;
        var filter = new ExportFilter(
            Times.Parse("--as-of", parse.GetValue(AsOf)), Times.Parse("--known-at", parse.GetValue(KnownAt)), parse.GetValue(Actor));
        var file = parse.GetValue(Out);
        using var client = CommonOptions.Client(parse);
        var watch = Stopwatch.StartNew();

        var temporary = file is null ? null : Path.Combine(file.DirectoryName ?? ".", $".{file.Name}.{Environment.ProcessId}.partial");
        long count;
        try
        {
            Stream stream = temporary is null
                // Standard output is not buffered: a claim or event a write call would be a system call each.
                ? new BufferedStream(console.OpenOutput(), 1 << 16)
                : new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
            count = await ProgressDisplay.RunAsync(console, $"export {format}", 0, async progress =>
                format == ExportFormats.EventsNdjson
                    ? await ExportEventsAsync(client, stream, filter, progress, cancellationToken)
                    : await ExportClaimsAsync(client, ClaimWriter.For(format, stream), filter, progress, cancellationToken));
            if (temporary is not null)
            {
                File.Move(temporary, file!.FullName, overwrite: true);
            }
        }
        finally
        {
            if (temporary is not null && File.Exists(temporary))
            {
                File.Delete(temporary);
            }
        }

        var rate = count / Math.Max(watch.Elapsed.TotalSeconds, 0.001);
        var what = format == ExportFormats.EventsNdjson ? "events" : "claims";
        if (parse.GetValue(CommonOptions.Json) && file is not null)
        {
            var summary = new JsonObject { ["format"] = format, [what] = count, ["file"] = file.FullName, ["seconds"] = Math.Round(watch.Elapsed.TotalSeconds, 3) };
            await console.OutputText.WriteLineAsync(summary.ToJsonString());
        }
        else
        {
            console.Error.MarkupLine(Markup.Escape(
                $"Exported {count.ToString("N0", CultureInfo.InvariantCulture)} {what} ({format}) {(file is null ? "" : $"to {file.FullName} ")}in {watch.Elapsed.TotalSeconds:0.0} s ({rate.ToString("N0", CultureInfo.InvariantCulture)}/s)."));
        }

        return ExitCodes.Ok;
    }

    private static async Task<long> ExportClaimsAsync(
        ClaimStoreClient client, ClaimWriter writer, ExportFilter filter, IProgressReport progress, CancellationToken cancellationToken)
    {
        await using var _ = writer;
        var actors = await ReadActorsAsync(client, cancellationToken);

        // First pass: which claims are retracted at --known-at, read by type a page at a time; the horizon the
        // last page looked through is where both passes end.
        var retracted = new HashSet<Guid>();
        long head = 0;
        while (true)
        {
            var page = await client.GetJsonAsync(
                $"events?afterSequence={head.ToString(CultureInfo.InvariantCulture)}&limit={RetractionPage.ToString(CultureInfo.InvariantCulture)}&types=ClaimRetracted",
                cancellationToken) ?? throw new InvalidDataException("GET /events answered no body.");
            var events = page["events"]!.AsArray();
            foreach (var e in events)
            {
                using var document = JsonDocument.Parse(e!.ToJsonString());
                if (filter.Known(document.RootElement))
                {
                    retracted.Add(document.RootElement.GetProperty("data").GetProperty("claimId").GetGuid());
                }
            }

            head = page["nextAfterSequence"]!.GetValue<long>();
            progress.Report(0, $"export: reading retractions, {retracted.Count:N0} so far, event {head:N0}");
            if (events.Count < RetractionPage)
            {
                break;
            }
        }

        long count = 0;
        await foreach (var line in client.ReadLogAsync(0, head, cancellationToken))
        {
            using var document = JsonDocument.Parse(line.Utf8);
            var root = document.RootElement;
            if (root.GetProperty("type").GetString() != "ClaimRecorded" || !filter.Known(root) || !filter.Of(root))
            {
                continue;
            }

            var data = root.GetProperty("data");
            var claim = ExportedClaim.FromRecorded(data);
            if (filter.AsOf is { } asOf && claim.StatedAtInstant > asOf || retracted.Contains(Guid.Parse(claim.ClaimId)))
            {
                continue;
            }

            writer.Write(claim, actors.GetValueOrDefault(claim.ActorId));
            if (++count % 10_000 == 0)
            {
                progress.Report(0, $"export: {count:N0} claims, event {line.Sequence:N0} of {head:N0}");
            }
        }

        await writer.CompleteAsync();
        return count;
    }

    /// <summary>The raw log, line for line as the host wrote it, filtered.</summary>
    private static async Task<long> ExportEventsAsync(
        ClaimStoreClient client, Stream output, ExportFilter filter, IProgressReport progress, CancellationToken cancellationToken)
    {
        await using var _ = output;
        long count = 0;
        await foreach (var line in client.ReadLogAsync(0, null, cancellationToken))
        {
            if (filter.AsOf is not null || filter.KnownAt is not null || filter.ActorId is not null)
            {
                using var document = JsonDocument.Parse(line.Utf8);
                var root = document.RootElement;
                if (!filter.Known(root) || !filter.Of(root) || !filter.StatedInTime(root))
                {
                    continue;
                }
            }

            output.Write(line.Utf8);
            output.WriteByte((byte)'\n');
            if (++count % 10_000 == 0)
            {
                progress.Report(0, $"export: {count:N0} events");
            }
        }

        return count;
    }

    private static async Task<Dictionary<string, ActorInfo>> ReadActorsAsync(ClaimStoreClient client, CancellationToken cancellationToken)
    {
        var actors = await client.GetJsonAsync("actors", cancellationToken) as JsonArray ?? [];
        return actors.OfType<JsonObject>().ToDictionary(
            a => (string)a["actorId"]!, a => new ActorInfo((string)a["name"]!, (string)a["kind"]!), StringComparer.Ordinal);
    }

    private sealed record ExportFilter(DateTimeOffset? AsOf, DateTimeOffset? KnownAt, string? ActorId)
    {
        public bool Known(JsonElement e) => KnownAt is not { } knownAt || e.GetProperty("recordedAt").GetDateTimeOffset() <= knownAt;

        public bool Of(JsonElement e) => ActorId is null || e.GetProperty("actorId").ValueEquals(ActorId);

        public bool StatedInTime(JsonElement e) =>
            AsOf is not { } asOf || e.GetProperty("type").GetString() != "ClaimRecorded"
            || e.GetProperty("data").GetProperty("claim").GetProperty("statedAt").GetDateTimeOffset() <= asOf;
    }
}

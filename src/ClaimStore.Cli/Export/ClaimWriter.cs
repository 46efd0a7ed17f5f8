using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace ClaimStore.Cli.Export;

/// <summary>An actor as exports name it beside its claims.</summary>
internal sealed record ActorInfo(string Name, string Kind);

/// <summary>Writes exported claims to a stream in one format; the same claims give the same bytes.</summary>
internal abstract class ClaimWriter(Stream output) : IAsyncDisposable
{
    protected static readonly JsonWriterOptions JsonOptions = new()
    {
        // Quotes stay as the speaker's characters („…“), not \u escapes.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        SkipValidation = true,
    };

    // A claim's JSON is built here and copied to the output whole: flushing a Utf8JsonWriter that writes to a stream
    // flushes the stream too, which for a file was a write to disk for every claim.
    private readonly ArrayBufferWriter<byte> _pending = new(1024);
    private Utf8JsonWriter? _json;

    protected Stream Output { get; } = output;

    /// <summary>A JSON writer whose bytes reach <see cref="Output"/> at <see cref="CopyJson"/>.</summary>
    protected Utf8JsonWriter Json => _json ??= new Utf8JsonWriter(_pending, JsonOptions);

    /// <summary>Appends what <see cref="Json"/> holds to the output and starts it afresh (each value a root of its own).</summary>
    protected void CopyJson()
    {
        Json.Flush();
        Output.Write(_pending.WrittenSpan);
        _pending.ResetWrittenCount();
        Json.Reset(_pending);
    }

    public abstract void Write(ExportedClaim claim, ActorInfo? actor);

    public virtual ValueTask CompleteAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        await Output.FlushAsync();
        await Output.DisposeAsync();
    }

    public static ClaimWriter For(string format, Stream output) => format switch
    {
        ExportFormats.ClaimsNdjson => new ClaimNdjsonWriter(output),
        ExportFormats.ClaimsCsv => new ClaimCsvWriter(output),
        ExportFormats.JsonLd => new ClaimJsonLdWriter(output),
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, null),
    };

    /// <summary>The claim as a client sends it (plus the actor's name and kind), absent fields left out.</summary>
    protected static void WriteClaimObject(Utf8JsonWriter json, ExportedClaim c, ActorInfo? actor)
    {
        json.WriteStartObject();
        json.WriteString("actorId", c.ActorId);
        json.WriteString("claimId", c.ClaimId);
        json.WriteString("subject", c.Subject);
        json.WriteString("predicate", c.Predicate);
        WriteOptional(json, "object", c.Object);
        json.WriteString("stance", c.Stance);
        json.WriteString("kind", c.Kind);
        json.WriteString("statedAt", c.StatedAt);
        WriteOptional(json, "quote", c.Quote);
        WriteOptional(json, "language", c.Language);
        if (c.SourcePublisher is not null || c.SourceUrl is not null || c.SourceTitle is not null || c.SourcePublishedAt is not null)
        {
            json.WriteStartObject("source");
            WriteOptional(json, "publisher", c.SourcePublisher);
            WriteOptional(json, "url", c.SourceUrl);
            WriteOptional(json, "title", c.SourceTitle);
            WriteOptional(json, "publishedAt", c.SourcePublishedAt);
            json.WriteEndObject();
        }

        if (c.ReportedVia.Count > 0)
        {
            json.WriteStartArray("reportedVia");
            foreach (var via in c.ReportedVia)
            {
                json.WriteStringValue(via);
            }

            json.WriteEndArray();
        }

        WriteOptional(json, "spokesperson", c.Spokesperson);
        json.WriteString("certainty", c.Certainty);
        if (c.QuantityMin is not null)
        {
            json.WriteStartObject("quantity");
            json.WritePropertyName("min");
            json.WriteRawValue(c.QuantityMin, skipInputValidation: true);
            json.WritePropertyName("max");
            json.WriteRawValue(c.QuantityMax!, skipInputValidation: true);
            json.WriteString("unit", c.QuantityUnit);
            json.WriteEndObject();
        }

        if (c.Confidence is not null)
        {
            json.WritePropertyName("confidence");
            json.WriteRawValue(c.Confidence, skipInputValidation: true);
        }

        if (actor is not null)
        {
            json.WriteString(Claims.ClaimColumns.ActorName, actor.Name);
            json.WriteString(Claims.ClaimColumns.ActorKind, actor.Kind);
        }

        json.WriteEndObject();
    }

    protected static void WriteOptional(Utf8JsonWriter json, string name, string? value)
    {
        if (value is not null)
        {
            json.WriteString(name, value);
        }
    }
}

/// <summary>The export formats, as <c>--format</c> spells them.</summary>
internal static class ExportFormats
{
    public const string ClaimsNdjson = "claims-ndjson";
    public const string ClaimsCsv = "claims-csv";
    public const string EventsNdjson = "events-ndjson";
    public const string JsonLd = "jsonld";

    public static readonly string[] All = [ClaimsNdjson, ClaimsCsv, EventsNdjson, JsonLd];
}

using System.Reflection;
using System.Text.Json;

namespace ClaimStore.Cli.Export;

/// <summary>
/// JSON-LD 1.1: one schema.org <c>Claim</c> per claim in an <c>@graph</c>, under our context
/// (<c>claimstore.context.jsonld</c>, embedded in the file) for what schema.org has no term for:
/// stance, speech act, certainty, confidence, quantity, the proposition and the reporting chain.
/// Actors are nodes named <c>urn:claimstore:actor:{actorId}</c>, propositions
/// <c>urn:claimstore:proposition:{key}</c>, claims <c>urn:uuid:{claimId}</c>.
/// </summary>
internal sealed class ClaimJsonLdWriter : ClaimWriter
{
    public const string ActorPrefix = "urn:claimstore:actor:";
    public const string PropositionPrefix = "urn:claimstore:proposition:";

    private bool _first = true;

    public ClaimJsonLdWriter(Stream output) : base(output)
    {
        using var context = JsonDocument.Parse(Context());
        Output.Write("{\n\"@context\": "u8);
        context.RootElement.GetProperty("@context").WriteTo(Json);
        CopyJson();
        Output.Write(",\n\"@graph\": ["u8);
    }

    /// <summary>The context file shipped with the tool.</summary>
    public static Stream Context() =>
        Assembly.GetExecutingAssembly().GetManifestResourceStream("claimstore.context.jsonld")
        ?? throw new InvalidOperationException("The JSON-LD context is missing from the assembly.");

    public override void Write(ExportedClaim c, ActorInfo? actor)
    {
        Output.Write(_first ? "\n"u8 : ",\n"u8);
        _first = false;
        var json = Json;
        json.WriteStartObject();
        json.WriteString("@id", $"urn:uuid:{c.ClaimId}");
        json.WriteString("@type", "Claim");
        json.WriteString("identifier", c.ClaimId);

        json.WriteStartObject("author");
        json.WriteString("@id", ActorPrefix + c.ActorId);
        json.WriteString("@type", actor?.Kind == "person" ? "Person" : "Organization");
        json.WriteString("identifier", c.ActorId);
        WriteOptional(json, "name", actor?.Name);
        WriteOptional(json, "actorKind", actor?.Kind);
        json.WriteEndObject();

        json.WriteString("datePublished", c.StatedAt);
        WriteOptional(json, "text", c.Quote);
        WriteOptional(json, "inLanguage", c.Language);

        if (c.SourcePublisher is not null || c.SourceUrl is not null || c.SourceTitle is not null || c.SourcePublishedAt is not null)
        {
            json.WriteStartObject("appearance");
            json.WriteString("@type", "CreativeWork");
            WriteOptional(json, "url", c.SourceUrl);
            WriteOptional(json, "headline", c.SourceTitle);
            WriteOptional(json, "datePublished", c.SourcePublishedAt);
            if (c.SourcePublisher is not null)
            {
                json.WriteStartObject("publisher");
                json.WriteString("@type", "Organization");
                json.WriteString("name", c.SourcePublisher);
                json.WriteEndObject();
            }

            json.WriteEndObject();
        }

        json.WriteStartObject("proposition");
        json.WriteString("@id", PropositionPrefix + c.PropositionKey);
        json.WriteString("propositionKey", c.PropositionKey);
        json.WriteString("subject", c.Subject);
        json.WriteString("predicate", c.Predicate);
        WriteOptional(json, "object", c.Object);
        json.WriteEndObject();

        json.WriteString("stance", c.Stance);
        json.WriteString("speechAct", c.Kind);
        json.WriteString("certainty", c.Certainty);
        if (c.Confidence is not null)
        {
            json.WritePropertyName("confidence");
            json.WriteRawValue(c.Confidence, skipInputValidation: true);
        }

        if (c.QuantityMin is not null)
        {
            json.WriteStartObject("quantity");
            json.WriteString("@type", "QuantitativeValue");
            json.WritePropertyName("minValue");
            json.WriteRawValue(c.QuantityMin, skipInputValidation: true);
            json.WritePropertyName("maxValue");
            json.WriteRawValue(c.QuantityMax!, skipInputValidation: true);
            json.WriteString("unitText", c.QuantityUnit);
            json.WriteEndObject();
        }

        if (c.ReportedVia.Count > 0)
        {
            json.WriteStartArray("reportedVia");
            foreach (var via in c.ReportedVia)
            {
                json.WriteStringValue(ActorPrefix + via);
            }

            json.WriteEndArray();
        }

        if (c.Spokesperson is not null)
        {
            json.WriteString("spokesperson", ActorPrefix + c.Spokesperson);
        }

        json.WriteEndObject();
        // The separators between claims are written above; each claim is a root of its own to the writer.
        CopyJson();
    }

    public override ValueTask CompleteAsync()
    {
        Output.Write("\n]\n}\n"u8);
        return ValueTask.CompletedTask;
    }
}

using System.Text.Json;

namespace ClaimStore.Cli.Export;

/// <summary>One claim a line, as <c>import --format ndjson</c> reads it.</summary>
internal sealed class ClaimNdjsonWriter(Stream output) : ClaimWriter(output)
{
    private readonly Utf8JsonWriter _json = new(output, JsonOptions);

    public override void Write(ExportedClaim claim, ActorInfo? actor)
    {
        WriteClaimObject(_json, claim, actor);
        _json.Flush();
        // One object a line: a fresh root for the next, without the writer's separator.
        _json.Reset();
        Output.WriteByte((byte)'\n');
    }
}

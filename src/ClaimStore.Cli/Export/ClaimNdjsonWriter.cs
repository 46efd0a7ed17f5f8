namespace ClaimStore.Cli.Export;

/// <summary>One claim a line, as <c>import --format ndjson</c> reads it.</summary>
internal sealed class ClaimNdjsonWriter(Stream output) : ClaimWriter(output)
{
    public override void Write(ExportedClaim claim, ActorInfo? actor)
    {
        WriteClaimObject(Json, claim, actor);
        CopyJson();
        Output.WriteByte((byte)'\n');
    }
}

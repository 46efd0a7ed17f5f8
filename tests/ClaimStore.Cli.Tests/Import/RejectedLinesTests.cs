using System.Text.Json.Nodes;
using ClaimStore.Cli.Tests.Infrastructure;

namespace ClaimStore.Cli.Tests.Import;

[Collection(CliCollection.Name)]
public sealed class RejectedLinesTests : IAsyncLifetime, IDisposable
{
    private readonly TempFiles _files = new();
    private StoreHost _store = null!;

    public async Task InitializeAsync()
    {
        _store = await StoreHost.StartAsync();
        await Seed.Register(_store.Api, "nato", "NATO", "alliance");
    }

    public async Task DisposeAsync() => await _store.DisposeAsync();

    public void Dispose() => _files.Dispose();

    private static Dictionary<long, JsonObject> Rejects(string file) =>
        File.ReadAllLines(file + ".rejected.ndjson").Select(l => JsonNode.Parse(l)!.AsObject()).ToDictionary(r => (long)r["line"]!);

    [Fact]
    public async Task ImportNdjson_MalformedInvalidAndUnregistered_RejectedWithLineNumbersAndExitCodeOne()
    {
        var file = _files.Write("mixed.ndjson", string.Join("\n",
            """{"actorId":"nato","subject":"china","predicate":"sends-drones-to","stance":"affirms","statedAt":"2024-12-04T00:00:00Z"}""",
            """{"actorId":"nato","subject":"china", oops""",
            "",
            """{"actorId":"nato","subject":"china","predicate":"sends-drones-to","stance":"maybe","statedAt":"2024-12-04T00:00:00Z"}""",
            """{"actorId":"kremlin","subject":"china","predicate":"sends-drones-to","stance":"denies","statedAt":"2024-12-04T00:00:00Z"}""",
            """{"actorId":"nato","subject":"china","predicate":"sends-drones-to","stance":"affirms","statedAt":"2024-12-04","speaker":"x"}""",
            """[1, 2]""",
            """{"actorId":"nato","subject":"russia","predicate":"sends-troops-to","stance":"affirms","statedAt":"2024-12-04T00:00:00Z"}"""));

        var import = await Claimstore.RunAsync(_store, "import", file);

        Assert.True(import.ExitCode == 1, import.ToString());
        var rejects = Rejects(file);
        Assert.Equal([2L, 4, 5, 6, 7], rejects.Keys.Order());
        // Located in the line as the user counts (from 1), without the parser's own line number (0 for every line).
        Assert.Matches(@"^Malformed JSON: .+ \(byte 3[0-9]\)$", rejects[2]["errors"]!["record"]![0]!.ToString());
        Assert.Contains("stance", rejects[4]["errors"]!.AsObject().Select(e => e.Key));
        Assert.Equal("maybe", (string?)rejects[4]["record"]!["stance"]);
        Assert.Null(rejects[4]["record"]!["claimId"]); // the record as the file gave it, not with the id the CLI derived
        Assert.Contains("not registered", rejects[5]["errors"]!["actorId"]![0]!.ToString());
        Assert.Contains("speaker", rejects[6]["errors"]!.AsObject().Select(e => e.Key));
        Assert.Contains("line 4: stance:", import.Output);
        Assert.Contains("kremlin", import.Output);
        Assert.Contains("--register-actors", import.Output);
        Assert.Equal(2, (await StoreLog.RecordedClaimIdsAsync(_store)).Count);
    }

    [Fact]
    public async Task ImportNdjson_LineNotUtf8_RejectedAndTheOthersStored()
    {
        var file = _files.Write("latin.ndjson", [
            .. """{"actorId":"nato","subject":"china","predicate":"sends-drones-to","stance":"affirms","statedAt":"2024-12-04T00:00:00Z","quote":"Best"""u8,
            0xE4,
            .. "tigung\"}\n"u8,
            .. """{"actorId":"nato","subject":"china","predicate":"sends-troops-to","stance":"affirms","statedAt":"2024-12-04T00:00:00Z","quote":"Bestätigung"}"""u8]);

        var import = await Claimstore.RunAsync(_store, "import", file);

        Assert.True(import.ExitCode == 1, import.ToString());
        Assert.Contains("Not UTF-8", Rejects(file)[1]["errors"]!["record"]![0]!.ToString());
        var claims = JsonNode.Parse(await _store.Api.GetStringAsync("/actors/nato/claims"))!.AsArray();
        Assert.Equal(["Bestätigung"], claims.Select(c => (string)c!["quote"]!));
    }

    [Theory]
    [InlineData("utf16.ndjson", "{0}\r\n")]
    [InlineData("utf16.json", "[{0}]")]
    public async Task ImportJsonFormats_Utf16WithByteOrderMark_StoredCharacterForCharacter(string name, string layout)
    {
        // Windows PowerShell's `>` writes UTF-16 with a byte order mark.
        var claim = """{"actorId":"nato","subject":"china","predicate":"sends-drones-to","stance":"affirms","statedAt":"2024-12-04T00:00:00Z","quote":"„Drohnen“, sagte sie"}""";
        var file = _files.Write(name, [.. System.Text.Encoding.Unicode.GetPreamble(), .. System.Text.Encoding.Unicode.GetBytes(string.Format(System.Globalization.CultureInfo.InvariantCulture, layout, claim))]);

        var import = await Claimstore.RunAsync(_store, "import", file);

        Assert.True(import.ExitCode == 0, import.ToString());
        var claims = JsonNode.Parse(await _store.Api.GetStringAsync("/actors/nato/claims"))!.AsArray();
        Assert.Equal(["„Drohnen“, sagte sie"], claims.Select(c => (string)c!["quote"]!));
    }

    [Fact]
    public async Task ImportCsv_RowAfterMultilineQuote_RejectedWithTheLineItStartsOn()
    {
        var file = _files.Write("multiline.csv", string.Join("\n",
            "actorId,subject,predicate,stance,statedAt,quote",
            "nato,china,sends-drones-to,affirms,2024-12-04T00:00:00Z,\"one\ntwo\nthree\"",
            "nato,china,sends-drones-to,perhaps,2024-12-04T00:00:00Z,bad stance",
            "nato,china,sends-drones-to,affirms",
            "nato,china,sends-drones-to,affirms,2024-12-04T00:00:00Z,\"never closed"));

        var import = await Claimstore.RunAsync(_store, "import", file, "--json");

        Assert.True(import.ExitCode == 1, import.ToString());
        var rejects = Rejects(file);
        Assert.Equal([5L, 6, 7], rejects.Keys.Order());
        Assert.Contains("stance", rejects[5]["errors"]!.AsObject().Select(e => e.Key));
        Assert.Contains("4 cells", rejects[6]["errors"]!["record"]![0]!.ToString(), StringComparison.Ordinal);
        Assert.Contains("never closed", rejects[7]["errors"]!["record"]![0]!.ToString(), StringComparison.Ordinal);
        var summary = JsonNode.Parse(import.Output)!;
        Assert.Equal((1, 3), ((int)summary["created"]!, (int)summary["rejected"]!));
    }

    [Fact]
    public async Task ImportWithRegisterActors_UnknownActor_RegisteredWithKindFromColumnOrGroup()
    {
        var file = _files.Write("actors.csv", string.Join("\n",
            "actorId,actorName,actorKind,subject,predicate,stance,statedAt",
            "kremlin,The Kremlin,organisation,china,sends-drones-to,denies,2024-12-04T00:00:00Z",
            "the-west,,,china,sends-drones-to,affirms,2024-12-04T00:00:00Z"));

        var import = await Claimstore.RunAsync(_store, "import", file, "--register-actors");

        Assert.True(import.ExitCode == 0, import.ToString());
        var kremlin = JsonNode.Parse(await _store.Api.GetStringAsync("/actors/kremlin"))!;
        var west = JsonNode.Parse(await _store.Api.GetStringAsync("/actors/the-west"))!;
        Assert.Equal(("The Kremlin", "organisation"), ((string)kremlin["name"]!, (string)kremlin["kind"]!));
        Assert.Equal(("the-west", "group"), ((string)west["name"]!, (string)west["kind"]!));
    }
}

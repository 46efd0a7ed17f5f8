using System.Text.Json.Nodes;
using ClaimStore.Cli.Tests.Infrastructure;

namespace ClaimStore.Cli.Tests.Import;

[Collection(CliCollection.Name)]
public sealed class CsvImportTests : IAsyncLifetime, IDisposable
{
    private readonly TempFiles _files = new();
    private StoreHost _store = null!;

    public async Task InitializeAsync()
    {
        _store = await StoreHost.StartAsync();
        await Seed.Register(_store.Api, "china", "China", "state");
    }

    public async Task DisposeAsync() => await _store.DisposeAsync();

    public void Dispose() => _files.Dispose();

    private async Task<string[]> QuotesAsync()
    {
        var claims = JsonNode.Parse(await _store.Api.GetStringAsync("/actors/china/claims"))!.AsArray();
        return [.. claims.OrderBy(c => (string?)c!["statedAt"]).Select(c => (string)c!["quote"]!)];
    }

    [Theory]
    [InlineData("\n")]
    [InlineData("\r\n")]
    public async Task ImportCsv_QuotesWithCommasLineBreaksAndGermanQuotationMarks_StoredCharacterForCharacter(string newline)
    {
        var csv = string.Join(newline,
            "actorId,subject,predicate,object,stance,kind,statedAt,quote,language,source.publisher,source.url,reportedVia,quantity.min,quantity.max,quantity.unit",
            "china,china,sends-drones-to,russia,denies,denial,2024-12-05T09:00:00Z,\"„Wir liefern keine Drohnen“, sagte er, \"\"niemals\"\".\",de,Xinhua,\"https://example.org/a?b=1,2\",afp;reuters,,,",
            "china,china,sends-drones-to,russia,denies,denial,2024-12-06T09:00:00Z,\"Erste Zeile,\nzweite Zeile „mit“ Komma, und Ende\",de,,,,,,",
            "china,north-korea,sends-troops-to,russia,denies,,2024-12-07T09:00:00Z,plain,en,,,,0,12000.5,soldiers",
            "");
        var file = _files.Write("claims.csv", csv);

        var import = await Claimstore.RunAsync(_store, "import", file);

        Assert.True(import.ExitCode == 0, import.ToString());
        Assert.Equal(
            [
                "„Wir liefern keine Drohnen“, sagte er, \"niemals\".",
                "Erste Zeile,\nzweite Zeile „mit“ Komma, und Ende",
                "plain",
            ],
            await QuotesAsync());
        var claims = JsonNode.Parse(await _store.Api.GetStringAsync("/actors/china/claims"))!.AsArray();
        var first = claims.Single(c => (string?)c!["statedAt"] == "2024-12-05T09:00:00+00:00")!;
        Assert.Equal("https://example.org/a?b=1,2", (string?)first["source"]!["url"]);
        Assert.Equal(["afp", "reuters"], first["reportedVia"]!.AsArray().Select(r => (string)r!));
        Assert.Equal(12000.5m, (decimal)claims.Single(c => (string?)c!["quote"] == "plain")!["quantity"]!["max"]!);
    }

    [Fact]
    public async Task ImportCsvTwiceWithoutIds_SecondRunAllUnchanged()
    {
        var file = _files.Write("no-ids.csv",
            "actorId,subject,predicate,stance,statedAt,quote\nchina,china,denies-everything,affirms,2024-12-05T09:00:00Z,\"a, b\"\n");

        var first = await Claimstore.RunAsync(_store, "import", file, "--json");
        var second = await Claimstore.RunAsync(_store, "import", file, "--json");

        Assert.Equal(1, (int)JsonNode.Parse(first.Output)!["created"]!);
        Assert.Equal(1, (int)JsonNode.Parse(second.Output)!["unchanged"]!);
    }

    [Fact]
    public async Task ImportCsv_UnknownColumn_FailsBeforeSendingAnything()
    {
        var file = _files.Write("unknown.csv", "actorId,subject,predicate,stance,statedAt,speaker\nchina,china,x,affirms,2024-12-05T09:00:00Z,li\n");

        var import = await Claimstore.RunAsync(_store, "import", file);

        Assert.Equal(2, import.ExitCode);
        Assert.Contains("'speaker'", import.Error);
        Assert.Empty(await QuotesAsync());
    }

    [Theory]
    [InlineData(";")]
    [InlineData("\t")]
    public async Task ImportCsv_SemicolonOrTabSeparated_CellsSplitAsTheHeaderRowIs(string separator)
    {
        var file = _files.Write("spreadsheet.csv", string.Join("\n",
            string.Join(separator, "actorId", "subject", "predicate", "stance", "statedAt", "quote"),
            string.Join(separator, "china", "china", "sends-drones-to", "denies", "2024-12-05T09:00:00Z", "keine Drohnen, sagte er"),
            string.Join(separator, "china", "china", "sends-troops-to", "denies", "2024-12-06T09:00:00Z", $"\"a{separator} b\""),
            ""));

        var import = await Claimstore.RunAsync(_store, "import", file);

        Assert.True(import.ExitCode == 0, import.ToString());
        Assert.Equal(["keine Drohnen, sagte er", $"a{separator} b"], await QuotesAsync());
    }

    [Fact]
    public async Task ImportCsv_Windows1252Bytes_FailsNamingTheEncodingAndStoresNoneOfIt()
    {
        // „Bestätigung“ as a spreadsheet in a Western European locale saves it: ä is the single byte E4.
        var file = _files.Write("latin.csv", [
            .. "actorId,subject,predicate,stance,statedAt,quote\nchina,china,x,denies,2024-12-05T09:00:00Z,Best"u8, 0xE4, .. "tigung\n"u8]);

        var import = await Claimstore.RunAsync(_store, "import", file);

        Assert.Equal(2, import.ExitCode);
        Assert.Contains("not UTF-8", import.Error);
        Assert.Empty(await QuotesAsync());
    }
}

using ClaimStore.Cli.Tests.Infrastructure;

namespace ClaimStore.Cli.Tests.Export;

[Collection(CliCollection.Name)]
public sealed class RoundTripTests(SeededStoreFixture fixture) : IDisposable
{
    private readonly TempFiles _files = new();

    public void Dispose() => _files.Dispose();

    [Theory]
    [InlineData("claims-ndjson", "claims.ndjson")]
    [InlineData("claims-csv", "claims.csv")]
    public async Task ExportThenImportIntoEmptyStore_PositionsTimelinesAndContradictionsIdentical(string format, string name)
    {
        var file = _files.PathOf(name);
        var export = await Claimstore.RunAsync(fixture.Host, "export", "--format", format, "--out", file);
        Assert.True(export.ExitCode == 0, export.ToString());

        await using var empty = await StoreHost.StartAsync();
        var import = await Claimstore.RunAsync(empty, "import", file, "--register-actors", "--state-dir", _files.Directory);

        Assert.True(import.ExitCode == 0, import.ToString());
        Assert.Contains("9", import.Output); // nine live claims created; the retracted one is not exported
        var expected = await StoreSnapshot.TakeAsync(fixture.Host, Seed.Actors, Seed.AsOfTimes);
        Assert.Contains("opposing-stances", expected);
        Assert.Contains("self-reversal", expected);
        Assert.Contains("incompatible-quantities", expected);
        var actual = await StoreSnapshot.WhenEqualAsync(empty, expected, Seed.Actors, Seed.AsOfTimes);
        Assert.Equal(expected, actual);
    }

    [Theory]
    [InlineData("claims-ndjson", "again.ndjson")]
    [InlineData("claims-csv", "again.csv")]
    public async Task ExportThenImportIntoSameStore_EveryClaimUnchanged(string format, string name)
    {
        var file = _files.PathOf(name);
        Assert.Equal(0, (await Claimstore.RunAsync(fixture.Host, "export", "--format", format, "--out", file)).ExitCode);

        var import = await Claimstore.RunAsync(fixture.Host, "import", file, "--json", "--state-dir", _files.Directory);

        Assert.True(import.ExitCode == 0, import.ToString());
        var summary = System.Text.Json.Nodes.JsonNode.Parse(import.Output)!;
        Assert.Equal((0, 9, 0), ((int)summary["created"]!, (int)summary["unchanged"]!, (int)summary["rejected"]!));
    }

    [Theory]
    [InlineData("claims-ndjson")]
    [InlineData("claims-csv")]
    [InlineData("events-ndjson")]
    [InlineData("jsonld")]
    public async Task ExportTwice_SameStoreAndTimes_ByteIdentical(string format)
    {
        string[] times = ["--as-of", "2024-12-05T00:00:00Z", "--known-at", DateTimeOffset.UtcNow.ToString("O")];
        var first = _files.PathOf($"first.{format}");
        var second = _files.PathOf($"second.{format}");

        Assert.Equal(0, (await Claimstore.RunAsync(fixture.Host, ["export", "--format", format, "--out", first, .. times])).ExitCode);
        Assert.Equal(0, (await Claimstore.RunAsync(fixture.Host, ["export", "--format", format, "--out", second, .. times])).ExitCode);

        Assert.NotEmpty(await File.ReadAllBytesAsync(first));
        Assert.Equal(await File.ReadAllBytesAsync(first), await File.ReadAllBytesAsync(second));
    }

    [Fact]
    public async Task ExportAsOfAndActor_OnlyThatActorsClaimsStatedByThen()
    {
        var file = _files.PathOf("nato.ndjson");

        var export = await Claimstore.RunAsync(fixture.Host, "export", "--actor", "nato", "--as-of", "2024-12-05T00:00:00Z", "--out", file);

        Assert.True(export.ExitCode == 0, export.ToString());
        var lines = await File.ReadAllLinesAsync(file);
        Assert.Equal(2, lines.Length); // the drone accusation (Dec 4) and the troop estimate; not the denial of Dec 10
        Assert.All(lines, l => Assert.Contains("\"actorId\":\"nato\"", l));
        Assert.Contains(lines, l => l.Contains("„Drohnen“", StringComparison.Ordinal));
    }
}

using System.Text.Json.Nodes;
using ClaimStore.Cli.Tests.Infrastructure;

namespace ClaimStore.Cli.Tests.Export;

[Collection(CliCollection.Name)]
public sealed class JsonLdTests(SeededStoreFixture fixture) : IDisposable
{
    private const string Schema = "https://schema.org/";
    private const string Ours = "urn:claimstore:vocab:";
    private readonly TempFiles _files = new();

    public void Dispose() => _files.Dispose();

    [Fact]
    public async Task ExportJsonLd_ExpandedByJsonLdProcessor_NoErrorsAndEveryLiveClaimAClaim()
    {
        var file = _files.PathOf("claims.jsonld");
        var export = await Claimstore.RunAsync(fixture.Host, "export", "--format", "jsonld", "--out", file);
        Assert.True(export.ExitCode == 0, export.ToString());

        var expanded = JsonNode.Parse(await JsonLdProcessor.ExpandAsync(file))!.AsArray();

        var claims = expanded.OfType<JsonObject>()
            .Where(n => n["@type"]!.AsArray().Any(t => (string?)t == Schema + "Claim")).ToList();
        Assert.Equal(9, claims.Count); // ten recorded, one retracted
        Assert.All(claims, c => Assert.NotNull(c[Ours + "stance"]));
        var accusation = claims.Single(c => c[Schema + "text"]?[0]?["@value"]?.ToString().Contains("„Drohnen“", StringComparison.Ordinal) == true);
        Assert.Equal("urn:claimstore:actor:nato", (string?)accusation[Schema + "author"]![0]!["@id"]);
        Assert.Equal("NATO", (string?)accusation[Schema + "author"]![0]![Schema + "name"]![0]!["@value"]);
        Assert.Equal("de", (string?)accusation[Schema + "inLanguage"]![0]!["@value"]);
        Assert.Equal("https://example.org/nato?x=1,2", (string?)accusation[Schema + "appearance"]![0]![Schema + "url"]![0]!["@id"]);
        Assert.Equal("AFP", (string?)accusation[Schema + "appearance"]![0]![Schema + "publisher"]![0]![Schema + "name"]![0]!["@value"]);
        Assert.Equal("urn:claimstore:actor:afp", (string?)accusation[Ours + "reportedVia"]![0]!["@list"]![0]!["@id"]);
        Assert.Equal("2024-12-04T00:00:00Z", (string?)accusation[Schema + "datePublished"]![0]!["@value"]);
    }

    [Fact]
    public async Task ExportJsonLd_ContextShippedInTheRepository_EmbeddedAsIs()
    {
        var file = _files.PathOf("context.jsonld");
        Assert.Equal(0, (await Claimstore.RunAsync(fixture.Host, "export", "--format", "jsonld", "--out", file)).ExitCode);

        var shipped = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(RepositoryRoot(), "src", "ClaimStore.Cli", "Export", "claimstore.context.jsonld")))!;
        var embedded = JsonNode.Parse(await File.ReadAllTextAsync(file))!["@context"]!;

        Assert.True(JsonNode.DeepEquals(shipped["@context"], embedded));
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "ClaimStore.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("ClaimStore.sln not found above the test binaries.");
    }
}

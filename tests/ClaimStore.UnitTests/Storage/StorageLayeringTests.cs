namespace ClaimStore.UnitTests.Storage;

/// <summary>Marten, Npgsql and SQL live in ClaimStore.Storage; the API's handlers and followers ask its services.</summary>
public sealed class StorageLayeringTests
{
    private static readonly string[] StorageNamespaces = ["Marten", "Npgsql", "Weasel", "JasperFx"];

    // Registering Npgsql's and Marten's instrumentation with OpenTelemetry is part of putting the host together.
    private static readonly string[] HostingFiles = [Path.Combine("Telemetry", "TelemetryHosting.cs")];

    [Fact]
    public void ApiFilesOutsideHosting_DoNotUseMartenOrNpgsql()
    {
        var api = Path.Combine(RepositoryRoot(), "src", "ClaimStore.Api");
        Assert.Empty(FilesUsingStorage(api, ["Hosting", "bin", "obj"], HostingFiles));
    }

    [Fact]
    public void GrainFiles_DoNotUseMartenOrNpgsql()
    {
        var grains = Path.Combine(RepositoryRoot(), "src", "ClaimStore.Grains");
        Assert.Empty(FilesUsingStorage(grains, ["bin", "obj"], []));
    }

    private static List<string> FilesUsingStorage(string project, string[] skippedFolders, string[] skippedFiles) =>
        [.. Directory.EnumerateFiles(project, "*.cs", SearchOption.AllDirectories)
            .Select(file => Path.GetRelativePath(project, file))
            .Where(file => !skippedFolders.Any(folder => file.StartsWith(folder + Path.DirectorySeparatorChar, StringComparison.Ordinal)))
            .Where(file => !skippedFiles.Contains(file, StringComparer.Ordinal))
            .Where(file => File.ReadLines(Path.Combine(project, file)).Any(UsesStorage))
            .Order(StringComparer.Ordinal)];

    private static bool UsesStorage(string line) =>
        StorageNamespaces.Any(ns => line.StartsWith($"using {ns};", StringComparison.Ordinal)
            || line.StartsWith($"using {ns}.", StringComparison.Ordinal)
            || line.StartsWith($"global using {ns}", StringComparison.Ordinal));

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ClaimStore.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("No ClaimStore.sln above the test binaries.");
    }
}

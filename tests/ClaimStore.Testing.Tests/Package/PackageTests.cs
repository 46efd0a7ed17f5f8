using System.Diagnostics;
using System.IO.Compression;
using System.Text;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Xunit.Abstractions;

namespace ClaimStore.Testing.Tests.Package;

/// <summary>
/// The kit as an outside team gets it: packed into a folder feed, referenced by version from a test project of
/// their own outside this repository, which starts a real host from the package and writes and reads a claim.
/// </summary>
[Collection(PackageCollection.Name)]
public sealed partial class PackageTests(ITestOutputHelper output) : IDisposable
{
    private const string Version = "0.0.0-kit";

    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(5);

    // Outside the repository, so none of its Directory.*.props apply to the consumer.
    private readonly string _work = Path.Combine(Path.GetTempPath(), "claimstore-package-" + Guid.NewGuid().ToString("N")[..12]);

    [Fact]
    public async Task PackedKit_ReferencedFromAFolderFeed_StartsAHostInAnOutsideTestProject()
    {
        var repository = RepositoryRoot();
        var feed = Directory.CreateDirectory(Path.Combine(_work, "feed")).FullName;
        var consumer = Directory.CreateDirectory(Path.Combine(_work, "consumer")).FullName;

        // The build this test runs from is packed as it is: packing rebuilds nothing.
        var pack = await RunAsync(repository, "pack", Path.Combine(repository, "src", "ClaimStore.Testing"),
            "-c", Configuration, "--no-build", "-o", feed, "-p:PackageVersion=" + Version, "--disable-build-servers");
        Assert.True(pack.ExitCode == 0, "dotnet pack failed:\n" + pack.Output);
        using (var package = ZipFile.OpenRead(Path.Combine(feed, $"ClaimStore.Testing.{Version}.nupkg")))
        {
            Assert.Contains(package.Entries, e => e.FullName == "README.md");
        }

        WriteConsumer(consumer, feed, Versions(repository));
        var test = await RunAsync(consumer, "test", "--disable-build-servers");

        Assert.True(test.ExitCode == 0, "dotnet test of the consumer failed:\n" + test.Output);
        Assert.Matches(PassedOne(), test.Output);
    }

    public void Dispose()
    {
        if (Directory.Exists(_work))
        {
            Directory.Delete(_work, recursive: true);
        }
    }

#if DEBUG
    private const string Configuration = "Debug";
#else
    private const string Configuration = "Release";
#endif

    [GeneratedRegex(@"Failed:\s+0, Passed:\s+1, Skipped:\s+0, Total:\s+1")]
    private static partial Regex PassedOne();

    private static void WriteConsumer(string directory, string feed, IReadOnlyDictionary<string, string> versions)
    {
        // Packages the repository's restore has put in the global folder are used from there, and the kit's package
        // lands in a folder of this test's own, so nothing of it stays behind.
        var globalPackages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } configured
            ? configured
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        File.WriteAllText(Path.Combine(directory, "Directory.Build.props"), "<Project />\n");
        File.WriteAllText(Path.Combine(directory, "Directory.Packages.props"), "<Project />\n");
        File.WriteAllText(Path.Combine(directory, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="claimstore-kit" value="{feed}" />
              </packageSources>
            </configuration>
            """);
        File.WriteAllText(Path.Combine(directory, "FactDesk.Tests.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
                <IsPackable>false</IsPackable>
                <RestorePackagesPath>{Path.Combine(directory, "packages")}</RestorePackagesPath>
                <RestoreAdditionalProjectFallbackFolders>{globalPackages}</RestoreAdditionalProjectFallbackFolders>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="ClaimStore.Testing" Version="{Version}" />
                <PackageReference Include="Microsoft.NET.Test.Sdk" Version="{versions["Microsoft.NET.Test.Sdk"]}" />
                <PackageReference Include="xunit" Version="{versions["xunit"]}" />
                <PackageReference Include="xunit.runner.visualstudio" Version="{versions["xunit.runner.visualstudio"]}" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(directory, "ClusterTests.cs"), """
            using System.Net;
            using System.Net.Http.Json;
            using System.Text.Json.Nodes;
            using ClaimStore.Testing;
            using Xunit;

            namespace FactDesk.Tests;

            public sealed class ClusterTests
            {
                [Fact]
                public async Task OneHost_WriteAClaim_ReadsItBack()
                {
                    await using var cluster = await ClaimStoreCluster.StartAsync(new ClaimStoreClusterOptions { Hosts = 1 });
                    using var client = cluster.CreateClient(0, ClaimStoreRole.Writer);
                    var claimId = Guid.NewGuid().ToString();

                    using (var register = await client.PutAsJsonAsync("actors/factdesk", new { name = "FactDesk", kind = "organisation" }))
                    {
                        register.EnsureSuccessStatusCode();
                    }

                    using var write = await client.PostAsJsonAsync("actors/factdesk/claims", new
                    {
                        claimId, subject = "factdesk", predicate = "says", @object = "hello", stance = "affirms", statedAt = "2024-12-04T10:00:00Z",
                    });
                    var claims = (await client.GetFromJsonAsync<JsonNode>("actors/factdesk/claims"))!.AsArray();

                    Assert.Equal(HttpStatusCode.Created, write.StatusCode);
                    Assert.Equal(claimId, Assert.Single(claims)!["claimId"]!.GetValue<string>());
                    Assert.Contains("/claimstore-host/", cluster.HostPath);
                }
            }
            """);
    }

    /// <summary>The consumer's test packages at the versions this repository uses, which its restore has fetched.</summary>
    private static Dictionary<string, string> Versions(string repository) =>
        XDocument.Load(Path.Combine(repository, "Directory.Packages.props"))
            .Descendants("PackageVersion")
            .ToDictionary(p => (string)p.Attribute("Include")!, p => (string)p.Attribute("Version")!, StringComparer.Ordinal);

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "ClaimStore.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No ClaimStore.sln above {AppContext.BaseDirectory}.");
    }

    private async Task<(int ExitCode, string Output)> RunAsync(string directory, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // What the test run's own dotnet and MSBuild set for their children would steer the nested build.
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase)
            || k.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase) || k == ClaimStoreClusterOptions.HostPathVariable).ToList())
        {
            start.Environment.Remove(key);
        }

        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";

        var text = new StringBuilder();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        var clock = Stopwatch.StartNew();
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var timeout = new CancellationTokenSource(CommandTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            Append($"(killed after {CommandTimeout.TotalMinutes:0} minutes)");
        }

        output.WriteLine($"dotnet {string.Join(' ', arguments)}: exit {process.ExitCode} after {clock.Elapsed.TotalSeconds:F1} s");
        lock (text)
        {
            return (process.ExitCode, text.ToString());
        }

        void Append(string? line)
        {
            if (line is not null)
            {
                lock (text)
                {
                    text.AppendLine(line);
                }
            }
        }
    }
}

/// <summary>The package test packs and builds a project: alone, so it does not slow the kit's timed waits.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class PackageCollection
{
    public const string Name = nameof(PackageCollection);
}

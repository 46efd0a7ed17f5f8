using System.Diagnostics;

namespace ClaimStore.Cli.Tests.Infrastructure;

/// <summary>
/// The reference JSON-LD processor (<c>jsonld</c> from the npm registry, run by node), installed once
/// per test run into a temporary directory. Expansion runs in safe mode and with a document loader
/// that refuses every remote document: the file must carry its whole context.
/// </summary>
public static class JsonLdProcessor
{
    private const string Script = """
        const jsonld = require('jsonld');
        const fs = require('fs');
        const doc = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
        const documentLoader = async url => { throw new Error('the file must not need a remote document: ' + url); };
        jsonld.expand(doc, { documentLoader, safe: true })
          .then(expanded => fs.writeFileSync(process.argv[3], JSON.stringify(expanded)))
          .catch(e => { console.error(e && (e.stack || e.message), JSON.stringify(e && e.details)); process.exit(1); });
        """;

    private static readonly Lazy<Task<string>> Installed = new(InstallAsync);

    /// <summary>The expanded document as JSON text; fails the test with the processor's error.</summary>
    public static async Task<string> ExpandAsync(string file)
    {
        var directory = await Installed.Value;
        var output = file + ".expanded.json";
        var (exitCode, text) = await RunAsync(directory, "node", "expand.js", file, output);
        Assert.True(exitCode == 0, $"jsonld.expand failed:\n{text}");
        return await File.ReadAllTextAsync(output);
    }

    private static async Task<string> InstallAsync()
    {
        var directory = Directory.CreateTempSubdirectory("claimstore-cli-tests-jsonld-").FullName;
        await File.WriteAllTextAsync(Path.Combine(directory, "package.json"), """{"name":"jsonld-check","private":true}""");
        await File.WriteAllTextAsync(Path.Combine(directory, "expand.js"), Script);
        var (exitCode, text) = await RunAsync(directory, "npm", "install", "--no-audit", "--no-fund", "--silent", "jsonld@8");
        Assert.True(exitCode == 0, $"npm install jsonld failed:\n{text}");
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Directory.Delete(directory, recursive: true);
        return directory;
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string directory, string program, params string[] args)
    {
        var start = new ProcessStartInfo(program) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }
}

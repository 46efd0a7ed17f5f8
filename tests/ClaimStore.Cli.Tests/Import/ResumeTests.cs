using System.Text;
using System.Text.Json.Nodes;
using ClaimStore.Cli.Tests.Infrastructure;

namespace ClaimStore.Cli.Tests.Import;

[Collection(CliCollection.Name)]
public sealed class ResumeTests : IAsyncLifetime, IDisposable
{
    private const int Claims = 6000;
    private readonly TempFiles _files = new();
    private StoreHost _store = null!;

    public async Task InitializeAsync()
    {
        _store = await StoreHost.StartAsync();
        foreach (var actor in new[] { "nato", "china", "russia" })
        {
            await Seed.Register(_store.Api, actor, actor.ToUpperInvariant(), "state");
        }
    }

    public async Task DisposeAsync() => await _store.DisposeAsync();

    public void Dispose() => _files.Dispose();

    /// <summary>Claims without ids, as a spreadsheet would give them: the CLI derives each id from the content.</summary>
    private string WriteClaims(string name)
    {
        var text = new StringBuilder();
        string[] actors = ["nato", "china", "russia"];
        for (var i = 0; i < Claims; i++)
        {
            var claim = Seed.Claim(actors[i % 3], $"subject-{i % 50}", "sends-troops-to", "russia", i % 2 == 0 ? "affirms" : "denies",
                new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero).AddMinutes(i).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'"),
                quote: $"Claim number {i}, „quoted“.", language: "en");
            claim.Remove("claimId");
            text.Append(claim.ToJsonString()).Append('\n');
        }

        return _files.Write(name, text.ToString());
    }

    [Fact]
    public async Task ImportInterruptedHalfwayThenRerun_EveryClaimStoredExactlyOnce()
    {
        var file = WriteClaims("claims.ndjson");
        var checkpoint = file + ".import-checkpoint.json";
        using var interrupt = new CancellationTokenSource();
        var watcher = Task.Run(async () =>
        {
            // Ctrl+C once the checkpoint says about half the file is in.
            while (!interrupt.IsCancellationRequested)
            {
                if (File.Exists(checkpoint) && TryRecords(checkpoint) >= Claims / 2)
                {
                    await interrupt.CancelAsync();
                }

                await Task.Delay(5);
            }
        });

        var first = await Claimstore.RunAsync(_store, interrupt.Token, "import", file, "--batch-size", "100", "--parallel", "2");
        await watcher;

        Assert.True(first.ExitCode == 130, first.ToString());
        var stoppedAt = TryRecords(checkpoint);
        Assert.InRange(stoppedAt, Claims / 2, Claims - 1);
        Assert.Contains("run the same command again to resume", first.Error);

        var second = await Claimstore.RunAsync(_store, "import", file, "--batch-size", "100", "--json");

        Assert.True(second.ExitCode == 0, second.ToString());
        var summary = JsonNode.Parse(second.Output)!;
        Assert.Equal(Claims, (long)summary["created"]! + (long)summary["unchanged"]!);
        Assert.Equal(0, (long)summary["rejected"]!);
        Assert.False(File.Exists(checkpoint));
        var ids = await StoreLog.RecordedClaimIdsAsync(_store);
        Assert.Equal(Claims, ids.Count);
        Assert.Equal(Claims, ids.Distinct().Count());
    }

    [Fact]
    public async Task ImportSameFileTwice_SecondRunStoresNothing()
    {
        var file = WriteClaims("twice.ndjson");

        var first = await Claimstore.RunAsync(_store, "import", file, "--json");
        var second = await Claimstore.RunAsync(_store, "import", file, "--json");

        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.Equal(Claims, (long)JsonNode.Parse(first.Output)!["created"]!);
        Assert.Equal((0L, (long)Claims), ((long)JsonNode.Parse(second.Output)!["created"]!, (long)JsonNode.Parse(second.Output)!["unchanged"]!));
        Assert.Equal(Claims, (await StoreLog.RecordedClaimIdsAsync(_store)).Distinct().Count());
    }

    private static long TryRecords(string checkpoint)
    {
        try
        {
            return (long?)JsonNode.Parse(File.ReadAllText(checkpoint))?["records"] ?? 0;
        }
        catch (Exception e) when (e is IOException or System.Text.Json.JsonException)
        {
            return 0;
        }
    }
}

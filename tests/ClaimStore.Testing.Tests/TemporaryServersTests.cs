using System.Globalization;
using ClaimStore.LocalPostgres;

namespace ClaimStore.Testing.Tests;

/// <summary>What a test process that died without disposing leaves behind goes when the next kit starts a server.</summary>
public sealed class TemporaryServersTests
{
    [Fact]
    public async Task StartAsync_DirectoryWhoseOwnerIsGone_StopsItsServerAndDeletesIt()
    {
        // An orphan as a killed test process leaves it: a running server in a kit directory whose owner lock nobody holds.
        var orphan = Path.Combine(Path.GetTempPath(), TemporaryServers.Prefix + "orphan" + Guid.NewGuid().ToString("N")[..6]);
        Directory.CreateDirectory(orphan);
        await File.WriteAllTextAsync(Path.Combine(orphan, ".owner"), "");
        var server = EmbeddedPostgres.Start(new EmbeddedPostgresOptions(Path.Combine(orphan, "pg"), "postgres"));
        var postmaster = int.Parse(File.ReadLines(Path.Combine(orphan, "pg", "postmaster.pid")).First(), CultureInfo.InvariantCulture);
        try
        {
            Assert.True(ClaimStorePostgres.IsRunning(postmaster));

            await using var living = await ClaimStorePostgres.StartAsync();

            Assert.False(ClaimStorePostgres.IsRunning(postmaster));
            Assert.False(Directory.Exists(orphan));
            // A server whose owner lives is left alone by the next sweep.
            TemporaryServers.Sweep();
            Assert.True(Directory.Exists(living.DataDirectory));
            Assert.True(ClaimStorePostgres.IsRunning(living.PostmasterPid()!.Value));
        }
        finally
        {
            try
            {
                server.Dispose();
            }
            catch (EmbeddedPostgresException)
            {
                // Stopped and deleted by the sweep already.
            }
        }
    }
}

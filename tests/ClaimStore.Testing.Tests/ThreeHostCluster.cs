using Xunit.Abstractions;

namespace ClaimStore.Testing.Tests;

/// <summary>One three-host cluster for the kit's tests that need a cluster but not one of their own.</summary>
public sealed class ThreeHostCluster : IAsyncLifetime
{
    public ClaimStoreCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync() =>
        Cluster = await ClaimStoreCluster.StartAsync(new ClaimStoreClusterOptions { Hosts = 3 });

    public async Task DisposeAsync() => await Cluster.DisposeAsync();

    /// <summary>The hosts' output while a test runs goes into that test's output (shown when it fails).</summary>
    public IDisposable Attach(ITestOutputHelper output) => Cluster.CaptureLogs(output.WriteLine);
}

/// <summary>The kit's tests run one at a time: they kill hosts and reset the store that others would read.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class KitCollection : ICollectionFixture<ThreeHostCluster>
{
    public const string Name = nameof(KitCollection);
}

using ClaimStore.Testing;

namespace FactDesk.Tests;

/// <summary>One local ClaimStore cluster for every test class of the collection: starting it is the slow part.</summary>
public sealed class ClaimStoreFixture : IAsyncLifetime
{
    public ClaimStoreCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync() =>
        Cluster = await ClaimStoreCluster.StartAsync(new ClaimStoreClusterOptions { Hosts = 2 });

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class ClaimStoreCollection : ICollectionFixture<ClaimStoreFixture>
{
    public const string Name = nameof(ClaimStoreCollection);
}

using ClaimStore.Grains.Actors;
using ClaimStore.Storage;
using Marten;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;

namespace ClaimStore.IntegrationTests.Infrastructure;

/// <summary>A real Orleans cluster of two silos over a real PostgreSQL database of its own.</summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    private const string ConnectionKey = "ClaimStoreTestConnection";

    public TestCluster Cluster { get; private set; } = null!;

    public string ConnectionString { get; private set; } = null!;

    /// <summary>Storage outside the cluster: a second writer, and a way to read what was committed.</summary>
    public ServiceProvider Storage { get; private set; } = null!;

    public ActorStreams Streams => Storage.GetRequiredService<ActorStreams>();

    public IDocumentStore Store => Storage.GetRequiredService<IDocumentStore>();

    public async Task InitializeAsync()
    {
        ConnectionString = await TestPostgres.CreateDatabaseAsync("cluster");
        Storage = new ServiceCollection().AddClaimStoreStorage(ConnectionString).BuildServiceProvider();
        var builder = new TestClusterBuilder(initialSilosCount: 2);
        builder.Properties[ConnectionKey] = ConnectionString;
        builder.AddSiloBuilderConfigurator<SiloConfigurator>();
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    public async Task DisposeAsync()
    {
        await Cluster.StopAllSilosAsync();
        await Cluster.DisposeAsync();
        await Storage.DisposeAsync();
    }

    private sealed class SiloConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder) =>
            siloBuilder.Services.AddClaimStoreGrains(siloBuilder.Configuration[ConnectionKey]!);
    }
}

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = nameof(ClusterCollection);
}

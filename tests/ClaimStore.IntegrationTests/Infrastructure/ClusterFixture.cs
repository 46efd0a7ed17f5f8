using ClaimStore.Grains.Actors;
using ClaimStore.Storage;
using Marten;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;

namespace ClaimStore.IntegrationTests.Infrastructure;

/// <summary>A real Orleans cluster of two silos over a real PostgreSQL database of its own.</summary>
public class ClusterFixture : IAsyncLifetime
{
    private const string ConnectionKey = "ClaimStoreTestConnection";
    private const string LedgerBudgetKey = "ClaimStoreTestLedgerBudget";

    private readonly long? _ledgerBudget;

    public ClusterFixture()
    {
    }

    /// <summary>A cluster whose silos hold at most <paramref name="ledgerBudget"/> bytes of whole actor ledgers each.</summary>
    protected ClusterFixture(long ledgerBudget) => _ledgerBudget = ledgerBudget;

    public TestCluster Cluster { get; private set; } = null!;

    public string ConnectionString { get; private set; } = null!;

    /// <summary>Storage outside the cluster: a second writer, and a way to read what was committed.</summary>
    public ServiceProvider Storage { get; private set; } = null!;

    public ActorStreams Streams => Storage.GetRequiredService<ActorStreams>();

    public IDocumentStore Store => Storage.GetRequiredService<IDocumentStore>();

    public async Task InitializeAsync()
    {
        ConnectionString = await TestPostgres.CreateDatabaseAsync(_ledgerBudget is null ? "cluster" : "budget");
        Storage = new ServiceCollection().AddClaimStoreStorage(ConnectionString).BuildServiceProvider();
        var builder = new TestClusterBuilder(initialSilosCount: 2);
        builder.Properties[ConnectionKey] = ConnectionString;
        if (_ledgerBudget is { } budget)
        {
            builder.Properties[LedgerBudgetKey] = budget.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        builder.AddSiloBuilderConfigurator<SiloConfigurator>();
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    /// <summary>Each silo's ledger budget.</summary>
    public IEnumerable<LedgerBudget> Budgets =>
        Cluster.Silos.Cast<InProcessSiloHandle>().Select(s => s.SiloHost.Services.GetRequiredService<LedgerBudget>());

    public async Task DisposeAsync()
    {
        await Cluster.StopAllSilosAsync();
        await Cluster.DisposeAsync();
        await Storage.DisposeAsync();
    }

    private sealed class SiloConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder)
        {
            siloBuilder.Services.AddClaimStoreGrains(siloBuilder.Configuration[ConnectionKey]!);
            if (siloBuilder.Configuration[LedgerBudgetKey] is { } budget)
            {
                siloBuilder.Services.Configure<LedgerBudgetOptions>(options => options.Bytes = long.Parse(budget, System.Globalization.CultureInfo.InvariantCulture));
            }
        }
    }
}

/// <summary>The cluster with a ledger budget of 64 KiB a silo: a few hundred claims make actors rest.</summary>
public sealed class SmallBudgetClusterFixture() : ClusterFixture(64 * 1024);

[CollectionDefinition(Name)]
public sealed class SmallBudgetClusterCollection : ICollectionFixture<SmallBudgetClusterFixture>
{
    public const string Name = nameof(SmallBudgetClusterCollection);
}

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = nameof(ClusterCollection);
}

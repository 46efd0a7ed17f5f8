using ClaimStore.Storage;
using Marten;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace ClaimStore.IntegrationTests.Reliability;

/// <summary><c>Database:ConnectTimeoutSeconds</c>, <c>Database:CommandTimeoutSeconds</c> and <c>Database:AppendIdleTimeoutSeconds</c>: where they come from, where they apply.</summary>
public sealed class DatabaseTimeoutsTests
{
    private const string Plain = "Host=127.0.0.1;Port=5432;Username=u;Password=p;Database=d";

    [Fact]
    public void Resolve_NothingConfigured_DefaultsOfFiveSeconds()
    {
        Assert.Equal(new DatabaseTimeouts(5, 5, 10), DatabaseTimeouts.Resolve(null, Plain));
        Assert.Equal(new DatabaseTimeouts(5, 5, 10), DatabaseTimeouts.Resolve(Configuration(), Plain));
    }

    [Fact]
    public void Resolve_ConnectionStringNamesTimeouts_ThoseWinOverTheDefaults()
    {
        Assert.Equal(new DatabaseTimeouts(12, 40), DatabaseTimeouts.Resolve(Configuration(), Plain + ";Timeout=12;Command Timeout=40"));
        Assert.Equal(new DatabaseTimeouts(5, 40), DatabaseTimeouts.Resolve(Configuration(), Plain + ";CommandTimeout=40"));
    }

    [Fact]
    public void BuildDataSource_NothingNamed_PreparesStatementsAndSkipsResetOnClose()
    {
        using var dataSource = DatabaseTimeouts.Default.BuildDataSource(Plain);
        var settings = new NpgsqlConnectionStringBuilder(dataSource.ConnectionString);

        Assert.Equal((64, 2, true), (settings.MaxAutoPrepare, settings.AutoPrepareMinUsages, settings.NoResetOnClose));
    }

    [Fact]
    public void BuildDataSource_ConnectionStringNamesPreparationAndReset_ThoseWin()
    {
        using var dataSource = DatabaseTimeouts.Default.BuildDataSource(Plain + ";Max Auto Prepare=0;NoResetOnClose=false");
        var settings = new NpgsqlConnectionStringBuilder(dataSource.ConnectionString);

        Assert.Equal((0, false), (settings.MaxAutoPrepare, settings.NoResetOnClose));
    }

    [Fact]
    public void Resolve_Configured_WinsOverConnectionString()
    {
        var configuration = Configuration(
            (DatabaseTimeouts.ConnectTimeoutKey, "2"), (DatabaseTimeouts.CommandTimeoutKey, "3"), (DatabaseTimeouts.AppendIdleTimeoutKey, "4"));

        Assert.Equal(new DatabaseTimeouts(2, 3, 4), DatabaseTimeouts.Resolve(configuration, Plain + ";Timeout=12;Command Timeout=40"));
    }

    [Theory]
    [InlineData("Database:ConnectTimeoutSeconds", "0")]
    [InlineData("Database:ConnectTimeoutSeconds", "2000")]
    [InlineData("Database:CommandTimeoutSeconds", "-1")]
    [InlineData("Database:CommandTimeoutSeconds", "five")]
    [InlineData("Database:CommandTimeoutSeconds", "2.5")]
    [InlineData("Database:AppendIdleTimeoutSeconds", "0")]
    [InlineData("Database:AppendIdleTimeoutSeconds", "2147484")]
    public void Resolve_InvalidValue_ThrowsNamingTheKey(string key, string value)
    {
        var error = Assert.Throws<InvalidOperationException>(() => DatabaseTimeouts.Resolve(Configuration((key, value)), Plain));

        Assert.Contains(key, error.Message);
        Assert.Contains($"'{value}'", error.Message);
    }

    [Fact]
    public async Task AddClaimStoreStorage_HostConfiguration_AppliesToDataSourceAndMarten()
    {
        var services = new ServiceCollection()
            .AddSingleton<IConfiguration>(Configuration((DatabaseTimeouts.ConnectTimeoutKey, "3"), (DatabaseTimeouts.CommandTimeoutKey, "7")))
            .AddClaimStoreStorage(Plain);
        await using var provider = services.BuildServiceProvider();

        var dataSource = new NpgsqlConnectionStringBuilder(provider.GetRequiredService<NpgsqlDataSource>().ConnectionString);
        Assert.Equal((3, 7), (dataSource.Timeout, dataSource.CommandTimeout));
        Assert.Equal(7, ((StoreOptions)provider.GetRequiredService<IDocumentStore>().Options).CommandTimeout);
    }

    private static IConfiguration Configuration(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => KeyValuePair.Create(v.Key, (string?)v.Value))).Build();
}

namespace ClaimStore.Cli.Tests.Infrastructure;

/// <summary>One host with <see cref="Seed"/> loaded, shared by the tests that only read it.</summary>
public sealed class SeededStoreFixture : IAsyncLifetime
{
    public StoreHost Host { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Host = await StoreHost.StartAsync();
        await Seed.LoadAsync(Host.Api);
    }

    public async Task DisposeAsync() => await Host.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class CliCollection : ICollectionFixture<SeededStoreFixture>
{
    public const string Name = nameof(CliCollection);
}

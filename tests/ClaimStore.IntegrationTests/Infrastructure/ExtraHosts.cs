using System.Collections.Concurrent;

namespace ClaimStore.IntegrationTests.Infrastructure;

/// <summary>
/// Hosts a test class needs besides the shared one (other settings, real Kestrel): each started
/// on first use, shared by the class's tests, and stopped with the class.
/// </summary>
public sealed class ExtraHosts : IAsyncLifetime
{
    private readonly ConcurrentDictionary<string, Lazy<Task<ApiFixture>>> _hosts = new();

    public Task<ApiFixture> GetAsync(string name, Func<ApiFixture> create) =>
        _hosts.GetOrAdd(name, _ => new Lazy<Task<ApiFixture>>(async () =>
        {
            var host = create();
            await host.InitializeAsync();
            return host;
        })).Value;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var host in _hosts.Values.Where(h => h.IsValueCreated && h.Value.IsCompletedSuccessfully))
        {
            await (await host.Value).DisposeAsync();
        }
    }
}

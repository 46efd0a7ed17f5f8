using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using ClaimStore.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ClaimStore.IntegrationTests.Infrastructure;

/// <summary>
/// The real host (Production environment: no sample data) with its co-hosted silo on ports of
/// its own, over a database of its own. It knows three API keys, one per role, and its clients
/// send the writer key unless told otherwise.
/// </summary>
public sealed class ApiFixture : WebApplicationFactory<Program>, IAsyncLifetime
{
    public const string ApiKeyHeader = "X-Api-Key";
    public const string ReaderKey = "test-reader-key-5f0c2a9e";
    public const string WriterKey = "test-writer-key-8d41b7c3";
    public const string AdminKey = "test-admin-key-2e96f150";

    private string _connectionString = null!;
    private string _environment = "Production";
    private IReadOnlyDictionary<string, string?> _settings = ApiKeySettings(("reader", ReaderKey, "reader"), ("writer", WriterKey, "writer"), ("admin", AdminKey, "admin"));
    private bool _kestrel;
    private bool _configuredLogLevels;
    private Action<IServiceCollection>? _configureServices;

    public string ConnectionString => _connectionString;

    /// <summary>The key <see cref="WebApplicationFactory{T}.CreateClient()"/> sends; null sends none.</summary>
    public string? DefaultApiKey { get; private init; } = WriterKey;

    /// <summary>Every message the host logged, when it was made with <see cref="AnotherHost(HostOptions)"/> and <c>CaptureLogs</c>.</summary>
    public CapturedLogs? Logs { get; private init; }

    /// <summary>Another host on the same database, as after a restart (its own silo and cluster id).</summary>
    public ApiFixture AnotherHost() => new() { _connectionString = _connectionString };

    /// <summary>
    /// Another host on the same database with other settings (they replace the three keys), another
    /// environment, real Kestrel on a loopback port, or its logs captured. Call <see cref="InitializeAsync"/> on it.
    /// </summary>
    public ApiFixture AnotherHost(HostOptions options) => new()
    {
        _connectionString = _connectionString,
        _environment = options.Environment,
        _settings = options.Settings,
        _kestrel = options.Kestrel,
        DefaultApiKey = options.DefaultApiKey,
        Logs = options.CaptureLogs ? new CapturedLogs() : null,
        _configuredLogLevels = options.ConfiguredLogLevels,
        _configureServices = options.ConfigureServices,
    };

    /// <summary>A client that sends <paramref name="apiKey"/>, or no key when it is null.</summary>
    public HttpClient CreateClient(string? apiKey)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Remove(ApiKeyHeader);
        if (apiKey is not null)
        {
            client.DefaultRequestHeaders.Add(ApiKeyHeader, apiKey);
        }

        return client;
    }

    /// <summary><c>Auth:ApiKeys</c> settings for keys given in plain text, as an operator would configure them.</summary>
    public static Dictionary<string, string?> ApiKeySettings(params (string Name, string Key, string Roles)[] keys)
    {
        var settings = new Dictionary<string, string?>();
        for (var i = 0; i < keys.Length; i++)
        {
            settings[$"Auth:ApiKeys:{i}:Name"] = keys[i].Name;
            settings[$"Auth:ApiKeys:{i}:Sha256"] = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(keys[i].Key)));
            var roles = keys[i].Roles.Split(',');
            for (var r = 0; r < roles.Length; r++)
            {
                settings[$"Auth:ApiKeys:{i}:Roles:{r}"] = roles[r];
            }
        }

        return settings;
    }

    public async Task InitializeAsync()
    {
        _connectionString ??= await TestPostgres.CreateDatabaseAsync("api");
        if (_kestrel)
        {
            UseKestrel(0);
        }

        // Starts the host (and its silo) now rather than inside the first test.
        StartServer();
    }

    Task IAsyncLifetime.DisposeAsync() => DisposeAsync().AsTask();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment(_environment);
        builder.UseSetting("ConnectionStrings:ClaimStore", _connectionString);
        builder.UseSetting("Orleans:SiloPort", LoopbackPorts.Next().ToString(CultureInfo.InvariantCulture));
        builder.UseSetting("Orleans:GatewayPort", LoopbackPorts.Next().ToString(CultureInfo.InvariantCulture));
        builder.UseSetting("Orleans:ClusterId", $"api-tests-{Guid.NewGuid():N}");
        builder.UseSetting("Sample:LoadOnStart", "false");
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }

        if (_configureServices is { } configure)
        {
            builder.ConfigureServices(configure);
        }

        if (Logs is { } configured && _configuredLogLevels)
        {
            builder.ConfigureLogging(logging => logging.AddProvider(configured));
        }
        else if (Logs is { } logs)
        {
            builder.ConfigureLogging(logging => logging
                .AddProvider(logs)
                .AddFilter<CapturedLogs>(null, LogLevel.Trace)
                // Orleans at trace level would slow the silo down for nothing this host tests.
                .AddFilter<CapturedLogs>("Orleans", LogLevel.Information));
        }
    }

    protected override void ConfigureClient(HttpClient client)
    {
        base.ConfigureClient(client);
        if (DefaultApiKey is not null)
        {
            client.DefaultRequestHeaders.Add(ApiKeyHeader, DefaultApiKey);
        }
    }

}

/// <summary>How <see cref="ApiFixture.AnotherHost(HostOptions)"/> differs from the shared host.</summary>
public sealed record HostOptions(IReadOnlyDictionary<string, string?> Settings)
{
    public string Environment { get; init; } = "Production";

    public string? DefaultApiKey { get; init; }

    public bool Kestrel { get; init; }

    public bool CaptureLogs { get; init; }

    /// <summary>Captures at the levels the host's configuration sets (appsettings.json), not at every level.</summary>
    public bool ConfiguredLogLevels { get; init; }

    /// <summary>Adds to or replaces the host's services, after the host's own.</summary>
    public Action<IServiceCollection>? ConfigureServices { get; init; }
}

[CollectionDefinition(Name)]
public sealed class ApiCollection : ICollectionFixture<ApiFixture>
{
    public const string Name = nameof(ApiCollection);
}

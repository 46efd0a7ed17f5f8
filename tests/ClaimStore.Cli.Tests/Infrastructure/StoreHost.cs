using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using ClaimStore.IntegrationTests.Infrastructure;
using ClaimStore.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace ClaimStore.Cli.Tests.Infrastructure;

/// <summary>
/// A real ClaimStore host (Production: API keys required, no sample) listening on a loopback port,
/// with its silo, over a PostgreSQL database of its own: an empty store.
/// </summary>
public sealed class StoreHost : WebApplicationFactory<Program>
{
    public const string WriterKey = "cli-tests-writer-key-6a1f0d";

    private readonly string _connectionString;

    private StoreHost(string connectionString) => _connectionString = connectionString;

    /// <summary>Where the CLI reaches the host.</summary>
    public string Url { get; private set; } = null!;

    /// <summary>A client of the host's HTTP API with the writer key, to set up and check stores.</summary>
    public HttpClient Api { get; private set; } = null!;

    public static async Task<StoreHost> StartAsync()
    {
        var host = new StoreHost(await TestPostgres.CreateDatabaseAsync("cli"));
        host.UseKestrel(0);
        host.StartServer();
        host.Api = host.CreateClient();
        host.Api.DefaultRequestHeaders.Add("X-Api-Key", WriterKey);
        host.Url = host.Api.BaseAddress!.ToString().TrimEnd('/');
        return host;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Production");
        builder.UseSetting("ConnectionStrings:ClaimStore", _connectionString);
        builder.UseSetting("Orleans:SiloPort", LoopbackPorts.Next().ToString(CultureInfo.InvariantCulture));
        builder.UseSetting("Orleans:GatewayPort", LoopbackPorts.Next().ToString(CultureInfo.InvariantCulture));
        builder.UseSetting("Orleans:ClusterId", $"cli-tests-{Guid.NewGuid():N}");
        builder.UseSetting("Sample:LoadOnStart", "false");
        builder.UseSetting("Auth:ApiKeys:0:Name", "cli-tests");
        builder.UseSetting("Auth:ApiKeys:0:Sha256", Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(WriterKey))));
        builder.UseSetting("Auth:ApiKeys:0:Roles:0", "writer");
        // Imports send many batches a second; the limit per key is tested elsewhere.
        builder.UseSetting("Auth:RateLimit:PermitsPerSecond", "0");
    }

}

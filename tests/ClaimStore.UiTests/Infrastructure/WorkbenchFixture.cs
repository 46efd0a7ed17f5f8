using System.Globalization;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using ClaimStore.IntegrationTests.Infrastructure;
using ClaimStore.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace ClaimStore.UiTests.Infrastructure;

/// <summary>
/// The real host on Kestrel (Development, so it loads the sample article) over a database of its own, with a
/// reader and a writer key, a few claims more than the sample so that contradictions exist, and Debian's
/// Chromium driven by Playwright.
/// </summary>
public sealed class WorkbenchFixture : WebApplicationFactory<Program>, IAsyncLifetime
{
    public const string ReaderKey = "ui-reader-key-0c6f1d2a";
    public const string WriterKey = "ui-writer-key-9b3e7a44";
    public const string ChromiumPath = "/usr/bin/chromium";

    private string _connectionString = null!;
    private IPlaywright? _playwright;

    public IBrowser Browser { get; private set; } = null!;

    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>A client of the API that sends <paramref name="apiKey"/> as <c>X-Api-Key</c>.</summary>
    public HttpClient Api(string apiKey = WriterKey)
    {
        var client = new HttpClient { BaseAddress = BaseAddress };
        client.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
        return client;
    }

    /// <summary>A browser window <paramref name="width"/> px wide whose session holds <paramref name="apiKey"/> (none when null).</summary>
    public async Task<IBrowserContext> NewSessionAsync(string? apiKey = ReaderKey, int width = 1280)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = BaseAddress.ToString(),
            ViewportSize = new ViewportSize { Width = width, Height = width < 600 ? 844 : 900 },
            Locale = "en-GB",
            TimezoneId = "UTC",
        });
        if (apiKey is not null)
        {
            await context.AddCookiesAsync([new Microsoft.Playwright.Cookie { Name = "ClaimStore-Key", Value = apiKey, Url = BaseAddress.ToString() }]);
        }

        return context;
    }

    public async Task InitializeAsync()
    {
        _connectionString = await TestPostgres.CreateDatabaseAsync("ui");
        UseKestrel(0);
        StartServer();
        var address = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseAddress = new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal).Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal));
        await WaitForSampleAsync();
        await SeedAsync();

        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException($"{ChromiumPath} is missing: apt-get install chromium (.ci/run installs it).");
        }

        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        });
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        _playwright?.Dispose();
        await DisposeAsync();
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        builder.UseSetting("ConnectionStrings:ClaimStore", _connectionString);
        builder.UseSetting("Orleans:SiloPort", LoopbackPorts.Next().ToString(CultureInfo.InvariantCulture));
        builder.UseSetting("Orleans:GatewayPort", LoopbackPorts.Next().ToString(CultureInfo.InvariantCulture));
        builder.UseSetting("Orleans:ClusterId", $"ui-tests-{Guid.NewGuid():N}");
        builder.UseSetting("Sample:LoadOnStart", "true");
        builder.UseSetting("Memory:CompactWhenIdle", "false");
        foreach (var (key, value) in ApiKeySettings(("analyst", ReaderKey, "reader"), ("editor", WriterKey, "writer")))
        {
            builder.UseSetting(key, value);
        }
    }

    private async Task WaitForSampleAsync()
    {
        using var api = Api(ReaderKey);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            var response = await api.GetAsync("/actors");
            if (response.IsSuccessStatusCode && (await response.Content.ReadFromJsonAsync<List<object>>())?.Count >= 5)
            {
                return;
            }

            await Task.Delay(200);
        }

        throw new TimeoutException("The sample was not loaded within 60 s.");
    }

    /// <summary>China denies what NATO and the West accuse it of, Trump reverses himself, NATO counts other troops.</summary>
    private async Task SeedAsync()
    {
        using var api = Api();
        (await api.PutAsJsonAsync("/actors/china", new { name = "China", kind = "state", aliases = new[] { "Volksrepublik China" } }))
            .EnsureSuccessStatusCode();
        await PostAsync(api, "china", new
        {
            subject = "china", predicate = "sends-drones-to", @object = "russia", stance = "denies", kind = "denial",
            statedAt = "2024-12-05T09:00:00Z", quote = "„Wir liefern keine Drohnen.“", language = "de",
            source = new { publisher = "Xinhua", title = "Außenministerium weist Vorwürfe zurück" },
        });
        await PostAsync(api, "donald-trump", new
        {
            subject = "donald-trump", predicate = "ends", @object = "war-in-ukraine", stance = "denies", kind = "assertion",
            statedAt = "2025-03-01T12:00:00Z", quote = "It will take longer than 24 hours.", language = "en", certainty = "probable",
        });
        await PostAsync(api, "nato", new
        {
            subject = "north-korea", predicate = "sends-troops-to", @object = "russia", stance = "affirms", kind = "estimate",
            statedAt = "2024-12-10T00:00:00Z", quote = "Rund 3.000 Soldaten sind bereits im Einsatz.", language = "de",
            quantity = new { min = 3000, max = 3000, unit = "soldiers" },
        });
    }

    public static async Task PostAsync(HttpClient api, string actorId, object claim) =>
        (await api.PostAsJsonAsync($"/actors/{actorId}/claims", claim)).EnsureSuccessStatusCode();

    private static Dictionary<string, string?> ApiKeySettings(params (string Name, string Key, string Role)[] keys)
    {
        var settings = new Dictionary<string, string?>();
        for (var i = 0; i < keys.Length; i++)
        {
            settings[$"Auth:ApiKeys:{i}:Name"] = keys[i].Name;
            settings[$"Auth:ApiKeys:{i}:Sha256"] = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(keys[i].Key)));
            settings[$"Auth:ApiKeys:{i}:Roles:0"] = keys[i].Role;
        }

        return settings;
    }

}

[CollectionDefinition(Name)]
public sealed class WorkbenchCollection : ICollectionFixture<WorkbenchFixture>
{
    public const string Name = nameof(WorkbenchCollection);
}

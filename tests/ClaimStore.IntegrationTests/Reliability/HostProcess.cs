using System.Globalization;
using ClaimStore.Testing;
using Xunit.Abstractions;

namespace ClaimStore.IntegrationTests.Reliability;

/// <summary>
/// A ClaimStore host as operators run it, through the test kit: <c>dotnet ClaimStore.Api.dll</c> in a
/// process of its own (the build copies the host next to the tests), on its own loopback port, silo
/// and gateway ports. <see cref="ClaimStoreHost.KillAsync"/> ends it with SIGKILL: no shutdown code of the host runs.
/// </summary>
public static class HostProcess
{
    /// <summary>
    /// Starts a host on <paramref name="connectionString"/>: Development without API keys (so the
    /// tests need none), no sample data, no write rate limit (every writer of a test shares one
    /// loopback address), Orleans on the given clustering mode and cluster.
    /// </summary>
    public static ClaimStoreHost Start(
        string name, string connectionString, string clusteringMode, string clusterId, IReadOnlyDictionary<string, string>? extra = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["DOTNET_ENVIRONMENT"] = "Development",
            ["ASPNETCORE_URLS"] = "",
            ["ConnectionStrings:ClaimStore"] = connectionString,
            ["Sample:LoadOnStart"] = "false",
            // Development turns the Orleans dashboard on, and it profiles every grain call: not what a fault test measures.
            ["Dashboard:Enabled"] = "false",
            ["Auth:RateLimit:PermitsPerSecond"] = "0",
            ["Orleans:ClusteringMode"] = clusteringMode,
            ["Orleans:ClusterId"] = clusterId,
            ["Orleans:ServiceId"] = clusterId,
            ["Orleans:AdvertisedIP"] = "127.0.0.1",
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:Microsoft.Hosting.Lifetime"] = "Information",
            ["Logging:Console:FormatterName"] = "simple",
            ["Logging:Console:FormatterOptions:SingleLine"] = "true",
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, string>())
        {
            settings[key] = value;
        }

        return ClaimStoreHost.Start(new ClaimStoreHostOptions { Name = name, Settings = settings });
    }

    public static void WriteOutput(this ClaimStoreHost host, ITestOutputHelper output, int lines = 40)
    {
        output.WriteLine($"--- last output of {host.Name} (pid {host.ProcessId.ToString(CultureInfo.InvariantCulture)}) ---");
        output.WriteLine(host.Output(lines));
    }
}

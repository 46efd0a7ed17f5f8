using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using ClaimStore.Cli.Connection;
using ClaimStore.Cli.Output;
using ClaimStore.Testing;
using Spectre.Console;

namespace ClaimStore.Cli.Cluster;

/// <summary>
/// <c>claimstore cluster up</c>: the local cluster of ClaimStore.Testing for a person: embedded
/// PostgreSQL and N hosts, their addresses and keys printed, everything stopped on Ctrl+C.
/// </summary>
internal static class ClusterCommand
{
    private static readonly Option<int> Hosts = new("--hosts")
    {
        Description = "How many hosts to start.",
        DefaultValueFactory = _ => 3,
    };

    private static readonly Option<string> Data = new("--data")
    {
        Description = "Keep PostgreSQL's data in this directory, for the next run (default: a temporary directory, deleted on stop).",
    };

    private static readonly Option<string> HostPath = new("--host-path")
    {
        Description = $"The host's ClaimStore.Api.dll (default: ${ClaimStoreClusterOptions.HostPathVariable}, else the one beside claimstore).",
    };

    public static Command Create(CliConsole console)
    {
        var up = new Command("up", "Start a local cluster (embedded PostgreSQL and N hosts) until Ctrl+C.") { Hosts, Data, HostPath };
        up.SetHandler(console, (parse, cancellationToken) => UpAsync(console, parse, cancellationToken));
        return new Command("cluster", "A local ClaimStore cluster for manual work and tests.") { up };
    }

    private static async Task<int> UpAsync(CliConsole console, ParseResult parse, CancellationToken cancellationToken)
    {
        var hosts = parse.GetValue(Hosts);
        if (hosts is < 1 or > 16)
        {
            throw new CliException(ExitCodes.Usage, "--hosts must be between 1 and 16.");
        }

        var options = new ClaimStoreClusterOptions
        {
            Hosts = hosts,
            DataDirectory = parse.GetValue(Data),
            HostPath = parse.GetValue(HostPath),
            // What the hosts log (warnings, errors, their start) goes to standard error, beside our messages.
            Log = line => console.ErrorText.WriteLine(line),
        };
        console.Error.MarkupLine($"Starting PostgreSQL and {hosts} host(s)…");
        ClaimStoreCluster cluster;
        try
        {
            cluster = await ClaimStoreCluster.StartAsync(options, cancellationToken);
        }
        catch (Exception ex) when (ex is FileNotFoundException or InvalidOperationException or TimeoutException or LocalPostgres.EmbeddedPostgresException)
        {
            throw new CliException(ExitCodes.HostError, ex.Message);
        }

        await using (cluster)
        {
            if (parse.GetValue(CommonOptions.Json))
            {
                await console.OutputText.WriteLineAsync(Describe(cluster).ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            }
            else
            {
                Print(console, cluster);
            }

            await console.OutputText.FlushAsync(cancellationToken);
            console.Error.MarkupLine("Press Ctrl+C to stop the cluster.");
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                // Ctrl+C is how this command is meant to end.
            }

            console.Error.MarkupLine("Stopping the hosts and PostgreSQL…");
        }

        console.Error.MarkupLine("Stopped.");
        return ExitCodes.Ok;
    }

    private static JsonObject Describe(ClaimStoreCluster cluster) => new()
    {
        ["hosts"] = new JsonArray([.. Enumerable.Range(0, cluster.HostCount).Select(h => (JsonNode)new JsonObject
        {
            ["host"] = h,
            ["url"] = cluster.BaseAddress(h).ToString(),
            ["workbench"] = cluster.BaseAddress(h).ToString(),
            ["pid"] = cluster.ProcessId(h),
        })]),
        ["keys"] = new JsonObject(Enum.GetValues<ClaimStoreRole>()
            .Select(r => KeyValuePair.Create(r.ToString().ToLowerInvariant(), (JsonNode?)cluster.ApiKey(r)))),
        ["database"] = cluster.DatabaseName,
        ["dataDirectory"] = cluster.DataDirectory,
    };

    private static void Print(CliConsole console, ClaimStoreCluster cluster)
    {
        var hosts = new Table().AddColumns("host", "API and workbench", "pid");
        for (var h = 0; h < cluster.HostCount; h++)
        {
            hosts.AddRow(h.ToString(System.Globalization.CultureInfo.InvariantCulture), cluster.BaseAddress(h).ToString(), cluster.ProcessId(h)?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "");
        }

        var keys = new Table().AddColumns("role", "API key (X-Api-Key)");
        foreach (var role in Enum.GetValues<ClaimStoreRole>())
        {
            keys.AddRow(role.ToString().ToLowerInvariant(), cluster.ApiKey(role));
        }

        console.Out.Write(hosts);
        console.Out.Write(keys);
        console.Out.WriteLine($"PostgreSQL: {cluster.DataDirectory} (database {cluster.DatabaseName})");
        console.Out.WriteLine(
            $"export {CommonOptions.UrlVariable}={cluster.BaseAddress(0).ToString().TrimEnd('/')} {CommonOptions.ApiKeyVariable}={cluster.ApiKey(ClaimStoreRole.Writer)}");
    }
}

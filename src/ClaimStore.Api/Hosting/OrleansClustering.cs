using System.Net;
using Npgsql;
using Orleans.Configuration;

namespace ClaimStore.Api.Hosting;

/// <summary>
/// How silos find each other, chosen by <c>Orleans:ClusteringMode</c>: <c>localhost</c> (the default,
/// one silo, no shared state) or <c>postgres</c> (Orleans ADO.NET membership in the ClaimStore
/// database, for a cluster of several hosts).
/// </summary>
/// <remarks>
/// With <c>postgres</c> every host must set <c>Orleans:AdvertisedIP</c> to an address the other
/// hosts can reach: the default, 127.0.0.1, only works when all silos run on one machine.
/// The membership tables come from <see cref="EnsureSchemaAsync"/>, which must run before the
/// silo starts.
/// </remarks>
internal static class OrleansClustering
{
    public const string Localhost = "localhost";

    public const string Postgres = "postgres";

    /// <summary>The ADO.NET invariant that makes the provider load Npgsql.</summary>
    public const string Invariant = "Npgsql";

    /// <summary>Used when <c>Orleans:AdvertisedIP</c> is not set: only right for single-machine clusters.</summary>
    public static readonly IPAddress DefaultAdvertisedIP = IPAddress.Loopback;

    /// <summary>
    /// Key of the transaction-scoped advisory lock that serialises schema creation between hosts
    /// starting at the same moment ("ClaimOrl" in ASCII).
    /// </summary>
    private const long SchemaLockKey = 0x436C_6169_6D4F_726C;

    private const string SchemaResource = "ClaimStore.Api.Hosting.OrleansClustering.sql";

    /// <summary>True for <c>postgres</c>, false for <c>localhost</c>; any other value is a configuration error.</summary>
    public static bool UsesPostgres(OrleansSettings settings) => Mode(settings) == Postgres;

    public static void UseClaimStoreClustering(this ISiloBuilder silo, OrleansSettings settings, string connectionString)
    {
        if (Mode(settings) == Localhost)
        {
            silo.UseLocalhostClustering(settings.SiloPort, settings.GatewayPort,
                serviceId: settings.ServiceId, clusterId: settings.ClusterId);
            return;
        }

        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new InvalidOperationException(
                "Orleans:ClusteringMode is 'postgres' but there is no connection string for the membership tables.");
        }

        silo.Configure<ClusterOptions>(options =>
        {
            options.ClusterId = settings.ClusterId;
            options.ServiceId = settings.ServiceId;
        });
        silo.ConfigureEndpoints(AdvertisedIP(settings), settings.SiloPort, settings.GatewayPort, listenOnAnyHostAddress: true);
        silo.UseAdoNetClustering(options =>
        {
            options.Invariant = Invariant;
            options.ConnectionString = connectionString;
        });
        silo.Configure<ClusterMembershipOptions>(ConfigureFailureDetection);
    }

    /// <summary>
    /// Failure detection tuned so that a silo that stops answering is declared dead, and its grains
    /// can be activated elsewhere, well within 15 s (Orleans' defaults take a minute or more).
    /// </summary>
    /// <remarks>
    /// A probe cycle is as long as the adaptive probe timeout, which stays between
    /// <see cref="ClusterMembershipOptions.MinProbeTimeout"/> and <see cref="ClusterMembershipOptions.MaxProbeTimeout"/>
    /// (about 1 s while peers answer quickly). After two failed direct probes the third goes through
    /// another silo; when that one fails too, the prober and the intermediary vote together, which
    /// is enough to declare the silo dead. Worst case, every probe runs to its 4 s ceiling: about 12 s.
    /// A crashed process whose port refuses connections is caught in about 3 s.
    /// </remarks>
    internal static void ConfigureFailureDetection(ClusterMembershipOptions options)
    {
        // Initial probe timeout (before response times are measured); 2 s is ample on a LAN.
        options.ProbeTimeout = TimeSpan.FromSeconds(2);
        // Floor of the adaptive timeout and so the fastest probe cycle: one probe per second per peer.
        options.MinProbeTimeout = TimeSpan.FromSeconds(1);
        // Ceiling of the adaptive timeout (default 4 x ProbeTimeout = 8 s): keeps the worst case at 3 x 4 s.
        options.MaxProbeTimeout = TimeSpan.FromSeconds(4);
        // Misses before voting: two direct probes, then one indirect probe through another silo.
        options.NumMissedProbesLimit = 3;
        // Fresh votes needed to declare death (Orleans caps it at half the active silos): never one silo's word alone.
        options.NumVotesForDeathDeclaration = 2;
        // Votes older than this no longer count: longer than the slowest detection (~12 s), short enough that old hiccups do not add up.
        options.DeathVoteExpirationTimeout = TimeSpan.FromSeconds(30);
        // Each silo rereads the table this often: the fallback when gossip about a death is lost (default 60 s).
        options.TableRefreshTimeout = TimeSpan.FromSeconds(5);
        // Heartbeat row update; three missed ones (15 s) mark a silo stale for quorum and indirect probes (default 30 s).
        options.IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(5);
        // Every restart adds a row (new generation); rows of dead silos are kept a day for diagnosis, then removed.
        options.DefunctSiloExpiration = TimeSpan.FromDays(1);
        // How often expired dead rows are looked for (Orleans' default, stated so the pair reads together).
        options.DefunctSiloCleanupPeriod = TimeSpan.FromHours(1);
    }

    /// <summary>
    /// Creates Orleans' membership tables and (re)writes its query rows in the database of
    /// <paramref name="connectionString"/>. Idempotent, and safe when several hosts run it at the
    /// same moment: one transaction, serialised by an advisory lock.
    /// </summary>
    public static async Task EnsureSchemaAsync(string connectionString, CancellationToken ct)
    {
        var script = await ReadSchemaScriptAsync(ct);
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await using (var takeLock = new NpgsqlCommand("SELECT pg_advisory_xact_lock(@key)", connection, transaction))
        {
            takeLock.Parameters.AddWithValue("key", SchemaLockKey);
            await takeLock.ExecuteNonQueryAsync(ct);
        }

        await using (var apply = new NpgsqlCommand(script, connection, transaction))
        {
            await apply.ExecuteNonQueryAsync(ct);
        }

        await transaction.CommitAsync(ct);
    }

    private static async Task<string> ReadSchemaScriptAsync(CancellationToken ct)
    {
        await using var stream = typeof(OrleansClustering).Assembly.GetManifestResourceStream(SchemaResource)
            ?? throw new InvalidOperationException($"Embedded resource {SchemaResource} is missing from the build.");
        using var reader = new StreamReader(stream);
        return await reader.ReadToEndAsync(ct);
    }

    /// <summary>
    /// Accepts the issue's spelling <c>Orleans:Clustering</c> (= <c>localhost</c> or <c>postgres</c>) as an
    /// alias of <c>Orleans:ClusteringMode</c>, then hides the key: Orleans reads <c>Orleans:Clustering</c>
    /// itself as its clustering provider section and would fail on a plain value there.
    /// </summary>
    public static void TakeClusteringAlias(IConfiguration configuration, OrleansSettings settings)
    {
        if (configuration["Orleans:Clustering"] is not { } value)
        {
            return;
        }

        if (!string.IsNullOrWhiteSpace(configuration["Orleans:ClusteringMode"])
            && !string.Equals(configuration["Orleans:ClusteringMode"]!.Trim(), value.Trim(), StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException(
                $"Orleans:Clustering is '{value}' but Orleans:ClusteringMode is '{configuration["Orleans:ClusteringMode"]}': set one of them.");
        }

        settings.ClusteringMode = value;
        configuration["Orleans:Clustering"] = null;
    }

    private static string Mode(OrleansSettings settings)
    {
        var value = settings.ClusteringMode?.Trim();
        if (string.IsNullOrEmpty(value) || string.Equals(value, Localhost, StringComparison.OrdinalIgnoreCase))
        {
            return Localhost;
        }

        if (string.Equals(value, Postgres, StringComparison.OrdinalIgnoreCase))
        {
            return Postgres;
        }

        throw new InvalidOperationException(
            $"Orleans:ClusteringMode is '{settings.ClusteringMode}'; allowed values are '{Localhost}' (the default) and '{Postgres}'.");
    }

    private static IPAddress AdvertisedIP(OrleansSettings settings)
    {
        if (string.IsNullOrWhiteSpace(settings.AdvertisedIP))
        {
            return DefaultAdvertisedIP;
        }

        var value = settings.AdvertisedIP.Trim();
        if (IPAddress.TryParse(value, out var address))
        {
            return address;
        }

        // A host name (a container's service name, say) stands for the IPv4 address it resolves to.
        try
        {
            return Dns.GetHostAddresses(value).FirstOrDefault(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)
                ?? throw new InvalidOperationException($"Orleans:AdvertisedIP '{value}' resolves to no IPv4 address.");
        }
        catch (System.Net.Sockets.SocketException ex)
        {
            throw new InvalidOperationException(
                $"Orleans:AdvertisedIP is '{value}', neither an IP address nor a resolvable host name: set the address other hosts reach this silo on.", ex);
        }
    }
}

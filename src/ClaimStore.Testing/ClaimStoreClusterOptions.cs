namespace ClaimStore.Testing;

/// <summary>What <see cref="ClaimStoreCluster.StartAsync(ClaimStoreClusterOptions, CancellationToken)"/> starts.</summary>
public sealed class ClaimStoreClusterOptions
{
    /// <summary>The variable that names the host to start when <see cref="HostPath"/> is not set.</summary>
    public const string HostPathVariable = "CLAIMSTORE_HOST_PATH";

    /// <summary>How many host processes form the cluster.</summary>
    public int Hosts { get; init; } = 1;

    /// <summary>
    /// A PostgreSQL server to use instead of the embedded one: a connection string whose user may
    /// create and drop databases. The kit creates databases of its own there and drops them at the end.
    /// </summary>
    public string? ConnectionString { get; init; }

    /// <summary>
    /// The embedded server's data directory, kept after the cluster ends and reused by the next one
    /// (the store's database in it too). Unset: a temporary directory, deleted at the end.
    /// </summary>
    public string? DataDirectory { get; init; }

    /// <summary>
    /// The host's <c>ClaimStore.Api.dll</c>. Unset: <see cref="HostPathVariable"/>, else
    /// <c>ClaimStore.Api.dll</c> next to the kit's own assembly, where a project reference to the kit puts it,
    /// else in <c>claimstore-host/</c> next to it, where the package puts it.
    /// </summary>
    public string? HostPath { get; init; }

    /// <summary>How long to wait for every host to answer <c>/health</c> with 200.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>
    /// Configuration for every host, as keys of the host's configuration (<c>Search:Indexing</c>);
    /// these win over the kit's own settings.
    /// </summary>
    public IReadOnlyDictionary<string, string> HostSettings { get; init; } = new Dictionary<string, string>();

    /// <summary>Receives every line any host writes, prefixed with the host's number (e.g. a test's output).</summary>
    public Action<string>? Log { get; init; }
}

/// <summary>The roles of the host's API keys (README, Authentication); each includes the ones before it.</summary>
public enum ClaimStoreRole
{
    /// <summary>Every <c>GET</c>.</summary>
    Reader,

    /// <summary>Every <c>PUT</c> and <c>POST</c>, and reading.</summary>
    Writer,

    /// <summary>Writing, and the operator commands.</summary>
    Admin,
}

using ClaimStore.Api.ReadModel;
using ClaimStore.Storage;

namespace ClaimStore.Api.Search;

/// <summary>
/// Keeps the claim search index (<see cref="ClaimSearchIndex"/>) up with the log. Every host runs one; in
/// each round only the host that wins the index's lock writes, so the hosts share the work without
/// writing a claim twice, and a host that dies leaves nothing half done. Searches wait here
/// (<see cref="LogFollower.CatchUpAsync"/>) until the index has taken in every event committed before them.
/// With <c>Search:Indexing=false</c> a host leaves the writing to the others and only waits for them.
/// </summary>
public sealed class ClaimSearchIndexer(
    ClaimSearchIndex index, EventLog log, LogAppendSignal appended,
    IConfiguration configuration, ILogger<ClaimSearchIndexer> logger) : LogFollower(log, appended, logger)
{
    private readonly EventLogReader _log = log.Reader(ClaimSearchIndex.Reads);
    private readonly bool _indexing = configuration.GetValue("Search:Indexing", true);

    protected override string Keeps => "the claim search index";

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        // The tables exist before the host serves its first search.
        await index.EnsureCreatedAsync(cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    protected override async Task<(long Checkpoint, bool More)> RoundAsync(CancellationToken cancellationToken) =>
        _indexing
            ? await index.IndexAsync(_log.ReadIn(ClaimSearchIndex.BatchSize, cancellationToken), ClaimSearchIndex.BatchSize, cancellationToken)
            : (await index.CheckpointAsync(cancellationToken), false);
}

namespace ClaimStore.IntegrationTests.Reliability;

/// <summary>
/// The fault tests run one at a time and after the rest of the suite: they start processes, kill
/// silos and stop PostgreSQL, and what they measure (recovery times, latencies) must not depend on
/// whatever else the machine runs at that moment.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ReliabilityCollection
{
    public const string Name = nameof(ReliabilityCollection);
}

namespace ClaimStore.Storage;

/// <summary>How the log followers' rounds (the read side's projector, the search indexer) have their statements planned.</summary>
internal static class FollowerPlanning
{
    /// <summary>
    /// Run first in a round's transaction. Its statements join arrays of keys with tables that start empty and grow: a
    /// generic plan cached on a prepared statement while a table was small scans the whole table for good (until the
    /// next ANALYZE), so every round plans its statements for the rows it has.
    /// </summary>
    public const string CustomPlans = "set local plan_cache_mode = force_custom_plan";
}

namespace ClaimStore.Storage;

/// <summary>
/// Every table (and sequence) of the schema that ClaimStore's own SQL names, qualified by the schema: Marten's event log
/// as Marten names it, and the tables ClaimStore keeps beside it. Other storage classes take their names from here.
/// </summary>
public static class StorageTables
{
    /// <summary>The PostgreSQL schema that holds ClaimStore's tables, Marten's included.</summary>
    public const string Schema = "claimstore";

    /// <summary>Marten's events, one row per event, with the global sequence (<c>seq_id</c>).</summary>
    public const string Events = Schema + ".mt_events";

    /// <summary>Marten's streams, one row per actor, with its version.</summary>
    public const string Streams = Schema + ".mt_streams";

    /// <summary>The sequence Marten draws event sequence numbers from.</summary>
    public const string EventSequence = Schema + ".mt_events_sequence";

    /// <summary>The actors' snapshots (<see cref="ActorSnapshots"/>), unqualified: a head row and one row per chunk.</summary>
    public const string ActorSnapshotSegmentsName = "actor_snapshot_segments";

    /// <summary>The actors' snapshots (<see cref="ActorSnapshots"/>).</summary>
    public const string ActorSnapshotSegments = Schema + "." + ActorSnapshotSegmentsName;

    /// <summary>The first format of snapshots, no longer read; only deleted.</summary>
    public const string ActorSnapshotsFirstFormat = Schema + ".actor_snapshots";

    /// <summary>The claim search index (<see cref="ClaimSearchIndex"/>), unqualified, as <c>pg_stats</c> names it.</summary>
    public const string ClaimSearchName = "claim_search";

    /// <summary>The claim search index (<see cref="ClaimSearchIndex"/>) and its checkpoint.</summary>
    public const string ClaimSearch = Schema + "." + ClaimSearchName;

    public const string ClaimSearchCheckpoint = Schema + ".claim_search_checkpoint";

    /// <summary>The text search configurations the index's documents were made with.</summary>
    public const string ClaimSearchConfigurations = Schema + ".claim_search_configurations";

    /// <summary>The read side (<see cref="ReadSideTables"/>, decision 0016).</summary>
    public const string ReadClaims = Schema + ".read_claims";

    public const string ReadPropositions = Schema + ".read_propositions";

    public const string ReadContradictions = Schema + ".read_contradictions";

    public const string ReadContradictionChanges = Schema + ".read_contradiction_changes";

    public const string ReadSideCheckpoint = Schema + ".read_side_checkpoint";
}

namespace ClaimStore.Domain.Claims;

/// <summary>
/// What an actor's ledger keeps of one claim in memory: enough to decide retries and answer
/// positions at any valid and transaction time. The full claim (quote, source, reporting chain)
/// stays in the event store.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record ClaimEntry(
    [property: Id(0)] Guid ClaimId,
    [property: Id(1)] string ActorId,
    [property: Id(2)] long Version,
    [property: Id(3)] Proposition Proposition,
    [property: Id(4)] Stance Stance,
    [property: Id(5)] Certainty Certainty,
    [property: Id(6)] Quantity? Quantity,
    [property: Id(7)] DateTimeOffset StatedAt,
    [property: Id(8)] DateTimeOffset RecordedAt,
    [property: Id(9)] DateTimeOffset? RetractedAt,
    [property: Id(10)] ContentHash Hash)
{
    public bool IsRetracted => RetractedAt is not null;

    /// <summary>Whether the claim counts for an observer who knows what was recorded up to <paramref name="knownAt"/>.</summary>
    public bool IsLiveAt(DateTimeOffset? knownAt) =>
        knownAt is null
            ? RetractedAt is null
            : RecordedAt <= knownAt && (RetractedAt is null || RetractedAt > knownAt);

    public static ClaimEntry From(ClaimRecorded e, long version)
    {
        var c = e.Claim;
        // Slugs repeat across millions of claims: one string instance each keeps the ledger small.
        var proposition = new Proposition(
            string.Intern(c.Proposition.Subject), string.Intern(c.Proposition.Predicate),
            c.Proposition.Object is null ? null : string.Intern(c.Proposition.Object));
        return new(e.ClaimId, string.Intern(e.ActorId), version, proposition, c.Stance, c.Certainty, c.Quantity,
            c.StatedAt, e.RecordedAt, null, ContentHash.Of(c));
    }
}

using ClaimStore.Domain.Compact;
namespace ClaimStore.Domain.Claims;

/// <summary>
/// What an actor's ledger knows of one claim: enough to decide retries and answer positions at any
/// valid and transaction time. The full claim (quote, source, reporting chain) stays in the event
/// store; the ledger keeps these fields packed (<c>ClaimSlot</c>) and makes an entry when asked.
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
}

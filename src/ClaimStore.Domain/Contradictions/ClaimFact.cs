using ClaimStore.Domain.Claims;

namespace ClaimStore.Domain.Contradictions;

/// <summary>
/// What the cross-actor read side needs of one live claim. <see cref="Sequence"/> is the global
/// append order, used only to break ties between claims of one actor with the same statedAt.
/// </summary>
public sealed record ClaimFact(
    Guid ClaimId,
    string ActorId,
    Proposition Proposition,
    Stance Stance,
    Quantity? Quantity,
    DateTimeOffset StatedAt,
    long Sequence);

using ClaimStore.Storage;

namespace ClaimStore.Api.History;

/// <summary>One stored event of an actor stream, as <c>GET /actors/{actorId}/events</c> shows it.</summary>
public sealed record StreamEvent(long Version, long Sequence, string Type, DateTimeOffset RecordedAt, object Data)
{
    public static StreamEvent From(LoggedEvent e) =>
        new(e.Version, e.Sequence, e.Type, e.Event!.RecordedAt, e.Event);
}

/// <summary>One stored event in global order, as <c>GET /events</c> shows it.</summary>
public sealed record FeedEvent(long Sequence, string ActorId, long Version, string Type, DateTimeOffset RecordedAt, object Data);

public sealed record EventPage(IReadOnlyList<FeedEvent> Events, long NextAfterSequence);

namespace ClaimStore.Domain.Actors;

/// <summary>What sort of speaker an actor is.</summary>
public enum ActorKind
{
    State,
    Alliance,
    Organisation,
    Media,
    Person,
    Group,
}

using System.Collections.Immutable;
using ClaimStore.Domain.Actors;
using ClaimStore.Domain.Claims;

namespace ClaimStore.IntegrationTests.Infrastructure;

/// <summary>Unique names, so tests that share a database never see each other's actors.</summary>
public static class TestData
{
    public static string ActorId(string name = "actor") => $"{name}-{Guid.NewGuid():N}"[..(name.Length + 13)];

    public static ActorProfile Profile(string name = "NATO") => new(name, ActorKind.Alliance, ["Allianz"]);

    public static ClaimSubmission Claim(string subject = "china", Stance stance = Stance.Affirms, int day = 4) => new(
        Guid.NewGuid(),
        new ClaimContent(
            new Proposition(subject, "sends-drones-to", "russia"),
            stance,
            stance == Stance.Affirms ? SpeechAct.Accusation : SpeechAct.Denial,
            new DateTimeOffset(2024, 12, day, 0, 0, 0, TimeSpan.Zero),
            "China wird seinerseits von der Allianz beschuldigt, Drohnen nach Russland geschickt zu haben.",
            "de",
            null,
            ImmutableArray.Create("afp"),
            null,
            Certainty.Certain,
            null,
            null));
}

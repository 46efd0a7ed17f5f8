using System.Collections.Immutable;
using ClaimStore.Domain.Claims;

namespace ClaimStore.UnitTests.Claims;

/// <summary>
/// Snapshots store each claim's <see cref="ContentHash"/>, and a retry is compared against the stored
/// one: the hash of a content must never change between builds. The expected values were taken from
/// the first implementation (one SHA-256 fed field by field).
/// </summary>
public sealed class ContentHashTests
{
    [Fact]
    public void Of_EveryFieldSet_IsTheStoredValue()
    {
        Assert.Equal(new ContentHash(0x7705e79dd0b5b70cUL, 0xac6960c2456be6caUL), ContentHash.Of(Full()));
    }

    [Fact]
    public void Of_OnlyRequiredFields_IsTheStoredValue()
    {
        Assert.Equal(new ContentHash(0x35d0b96063306899UL, 0xace0ac92d87612fdUL), ContentHash.Of(Minimal()));
    }

    [Fact]
    public void Of_QuoteOfManyKilobytes_IsTheStoredValue()
    {
        var content = Full() with { Quote = new string('ü', 3_000) + "!", Source = Full().Source! with { Title = new string('t', 1_500) } };

        Assert.Equal(new ContentHash(0x4fb5ef650ddb10bbUL, 0xc64370d5a3048ebdUL), ContentHash.Of(content));
    }

    [Fact]
    public void Of_EqualContents_AreEqual_AndLanguageCaseDoesNotCount()
    {
        Assert.Equal(ContentHash.Of(Full()), ContentHash.Of(Full() with { Language = "DE-at" }));
    }

    [Fact]
    public void Of_AnyFieldChanged_Differs()
    {
        var full = ContentHash.Of(Full());
        var changed = new[]
        {
            Full() with { Proposition = new Proposition("china", "sends-drones-to", null) },
            Full() with { Stance = Stance.Denies },
            Full() with { StatedAt = Full().StatedAt.AddTicks(1) },
            Full() with { Quote = "Drohnen" },
            Full() with { Source = Full().Source! with { Url = null } },
            Full() with { ReportedVia = ["afp"] },
            Full() with { ReportedVia = ["afp", "dpa", "reuters"] },
            Full() with { Spokesperson = null },
            Full() with { Quantity = new Quantity(10_000, 12_001, "troops") },
            Full() with { Confidence = 0.5 },
            // A field's end moved into the next one: the lengths keep these apart.
            Full() with { Proposition = new Proposition("chin", "asends-drones-to", "russia") },
        };

        Assert.All(changed, content => Assert.NotEqual(full, ContentHash.Of(content)));
        Assert.Equal(changed.Length, changed.Select(ContentHash.Of).Distinct().Count());
    }

    private static ClaimContent Full() => new(
        new Proposition("china", "sends-drones-to", "russia"),
        Stance.Affirms,
        SpeechAct.Accusation,
        new DateTimeOffset(2024, 12, 4, 10, 30, 0, TimeSpan.FromHours(1)),
        "China wird seinerseits beschuldigt, Drohnen nach Russland geschickt zu haben. „Zitat“ – ü",
        "de-AT",
        new ClaimSource("Der Standard", "https://www.derstandard.at/story/1", "Nato-Gipfel", new DateTimeOffset(2024, 12, 4, 0, 0, 0, TimeSpan.Zero)),
        ["afp", "dpa"],
        "mark-rutte",
        Certainty.Certain,
        new Quantity(10_000, 12_000, "troops"),
        0.8);

    private static ClaimContent Minimal() => new(
        new Proposition("russia", "fights-in", null),
        Stance.Denies,
        SpeechAct.Assertion,
        new DateTimeOffset(2024, 11, 1, 0, 0, 0, TimeSpan.Zero),
        null,
        null,
        null,
        [],
        null,
        Certainty.Certain,
        null,
        null);
}

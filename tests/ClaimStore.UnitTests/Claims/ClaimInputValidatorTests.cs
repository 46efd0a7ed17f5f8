using ClaimStore.Api.Claims;
using ClaimStore.Api.Http;
using Microsoft.Extensions.Time.Testing;

namespace ClaimStore.UnitTests.Claims;

public sealed class ClaimInputValidatorTests
{
    private static readonly FakeTimeProvider Clock = new(new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.Zero));
    private readonly ClaimInput.Validator _validator = new(Clock);

    private static ClaimInput Valid() => new(
        ActorId: null,
        ClaimId: "3f2b0c1e-5d6a-4b7c-8d9e-0f1a2b3c4d5e",
        Subject: "china",
        Predicate: "sends-drones-to",
        Object: "russia",
        Stance: "affirms",
        Kind: "accusation",
        StatedAt: "2024-12-04T00:00:00Z",
        Quote: "„Der illegale Krieg in der Ukraine bedroht uns alle“",
        Language: "de",
        Source: new SourceInput("AFP", "https://example.org/a", "Titel", "2024-12-04T18:00:00+01:00"),
        ReportedVia: ["afp"],
        Spokesperson: "mark-rutte",
        Certainty: "certain",
        Quantity: new QuantityInput(10000, 12000, "soldiers"),
        Confidence: 0.8);

    private Dictionary<string, string[]> Errors(ClaimInput input) =>
        ValidationRules.ToErrors(_validator.Validate(input).Errors);

    [Fact]
    public void Validate_ContractExample_HasNoErrors()
    {
        Assert.Empty(Errors(Valid()));
    }

    [Fact]
    public void Validate_OnlyRequiredFields_HasNoErrors()
    {
        var minimal = new ClaimInput(null, null, "china", "denies-that", null, "denies", null,
            "2024-12-04T00:00:00Z", null, null, null, null, null, null, null, null);

        Assert.Empty(Errors(minimal));
    }

    [Fact]
    public void Validate_MissingRequiredFields_ReportsEachByName()
    {
        var errors = Errors(new ClaimInput(null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null));

        Assert.Equal(["predicate", "stance", "statedAt", "subject"], errors.Keys.Order());
    }

    [Theory]
    [InlineData("China")]
    [InlineData("china-")]
    [InlineData("chi na")]
    [InlineData("-china")]
    [InlineData("china--russia")]
    public void Validate_SubjectNotASlug_IsRejected(string subject)
    {
        Assert.Contains("subject", Errors(Valid() with { Subject = subject }).Keys);
    }

    [Fact]
    public void Validate_SlugOf65Characters_IsRejected()
    {
        Assert.Contains("predicate", Errors(Valid() with { Predicate = new string('a', 65) }).Keys);
        Assert.Empty(Errors(Valid() with { Predicate = new string('a', 64) }));
    }

    [Theory]
    [InlineData("denial", "affirms")]
    [InlineData("accusation", "denies")]
    public void Validate_KindContradictsStance_IsRejectedOnKind(string kind, string stance)
    {
        Assert.Equal(["kind"], Errors(Valid() with { Kind = kind, Stance = stance }).Keys);
    }

    [Theory]
    [InlineData("2024-12-04")]
    [InlineData("2024-12-04T00:00:00")]
    [InlineData("yesterday")]
    [InlineData("2024-13-04T00:00:00Z")]
    public void Validate_StatedAtWithoutOffsetOrMalformed_IsRejected(string statedAt)
    {
        Assert.Equal(["statedAt"], Errors(Valid() with { StatedAt = statedAt }).Keys);
    }

    [Fact]
    public void Validate_StatedAtMoreThanADayAhead_IsRejected()
    {
        var now = Clock.GetUtcNow();

        Assert.Empty(Errors(Valid() with { StatedAt = now.AddHours(23).ToString("O") }));
        Assert.Equal(["statedAt"], Errors(Valid() with { StatedAt = now.AddHours(25).ToString("O") }).Keys);
    }

    [Fact]
    public void Validate_QuoteOf4000Characters_IsAcceptedAnd4001Rejected()
    {
        Assert.Empty(Errors(Valid() with { Quote = new string('„', 4000) }));
        Assert.Equal(["quote"], Errors(Valid() with { Quote = new string('x', 4001) }).Keys);
    }

    [Fact]
    public void Validate_QuoteWithNulCharacter_IsRejected()
    {
        Assert.Equal(["quote"], Errors(Valid() with { Quote = "a\0b" }).Keys);
    }

    [Fact]
    public void Validate_NinthReporter_IsRejected()
    {
        var nine = Enumerable.Range(1, 9).Select(i => (string?)$"agency-{i}").ToArray();

        Assert.Equal(["reportedVia"], Errors(Valid() with { ReportedVia = nine }).Keys);
    }

    [Fact]
    public void Validate_BadReporter_IsReportedWithItsIndex()
    {
        Assert.Equal(["reportedVia[2]"], Errors(Valid() with { ReportedVia = ["afp", "dpa", "Reuters"] }).Keys);
    }

    [Fact]
    public void Validate_QuantityMaxBelowMin_IsReportedOnQuantityMax()
    {
        Assert.Equal(["quantity.max"], Errors(Valid() with { Quantity = new QuantityInput(10, 5, "soldiers") }).Keys);
    }

    [Fact]
    public void Validate_NegativeQuantityWithoutUnit_ReportsBothFields()
    {
        Assert.Equal(["quantity.min", "quantity.unit"],
            Errors(Valid() with { Quantity = new QuantityInput(-1, 5, null) }).Keys.Order());
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.01)]
    public void Validate_ConfidenceOutsideUnitInterval_IsRejected(double confidence)
    {
        Assert.Equal(["confidence"], Errors(Valid() with { Confidence = confidence }).Keys);
    }

    [Theory]
    [InlineData("ftp://example.org/a")]
    [InlineData("/relative")]
    [InlineData("not a url")]
    public void Validate_SourceUrlNotAbsoluteHttp_IsRejected(string url)
    {
        Assert.Equal(["source.url"], Errors(Valid() with { Source = new SourceInput(null, url, null, null) }).Keys);
    }

    [Theory]
    [InlineData("de")]
    [InlineData("en-GB")]
    [InlineData("zh-Hant-TW")]
    [InlineData("sr-Latn")]
    public void Validate_LanguageTag_IsAccepted(string language)
    {
        Assert.Empty(Errors(Valid() with { Language = language }));
    }

    [Theory]
    [InlineData("german")]
    [InlineData("de_DE")]
    [InlineData("d")]
    public void Validate_NotALanguageTag_IsRejected(string language)
    {
        Assert.Equal(["language"], Errors(Valid() with { Language = language }).Keys);
    }

    [Theory]
    [InlineData("not-a-uuid")]
    [InlineData("00000000-0000-0000-0000-000000000000")]
    public void Validate_ClaimIdNotAUuid_IsRejected(string claimId)
    {
        Assert.Equal(["claimId"], Errors(Valid() with { ClaimId = claimId }).Keys);
    }

    [Fact]
    public void ToSubmission_OmittedOptionalFields_AppliesContractDefaults()
    {
        var input = Valid() with { Kind = null, Certainty = null, StatedAt = "2024-12-04T01:00:00+01:00" };

        var content = input.ToSubmission(Guid.NewGuid).Content;

        Assert.Equal(Domain.Claims.SpeechAct.Assertion, content.Kind);
        Assert.Equal(Domain.Claims.Certainty.Certain, content.Certainty);
        Assert.Equal(TimeSpan.Zero, content.StatedAt.Offset);
        Assert.Equal(new DateTimeOffset(2024, 12, 4, 0, 0, 0, TimeSpan.Zero), content.StatedAt);
    }
}

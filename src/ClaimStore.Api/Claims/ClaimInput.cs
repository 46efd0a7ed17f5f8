using System.Collections.Immutable;
using ClaimStore.Api.Http;
using ClaimStore.Domain.Claims;
using FluentValidation;

namespace ClaimStore.Api.Claims;

/// <summary>
/// A claim as clients send it. Enumerations and timestamps arrive as strings so that a wrong
/// value is reported against its field with the allowed values, not as unreadable JSON.
/// </summary>
public sealed record ClaimInput(
    string? ActorId,
    string? ClaimId,
    string? Subject,
    string? Predicate,
    string? Object,
    string? Stance,
    string? Kind,
    string? StatedAt,
    string? Quote,
    string? Language,
    SourceInput? Source,
    IReadOnlyList<string?>? ReportedVia,
    string? Spokesperson,
    string? Certainty,
    QuantityInput? Quantity,
    double? Confidence)
{
    public const int MaxQuoteLength = 4000;
    public const int MaxReportedVia = 8;

    public static readonly string[] Stances = ["affirms", "denies"];
    public static readonly string[] Kinds =
        ["assertion", "accusation", "denial", "warning", "report", "estimate", "promise", "prediction"];
    public static readonly string[] Certainties = ["certain", "probable", "possible"];

    /// <summary>The stored meaning: defaults applied, timestamps as UTC instants. Only for validated input.</summary>
    public ClaimSubmission ToSubmission(Func<Guid> newId) => new(
        ClaimId is null ? newId() : Guid.Parse(ClaimId),
        new ClaimContent(
            new Proposition(Subject!, Predicate!, Object),
            Enum.Parse<Stance>(Stance!, ignoreCase: true),
            Kind is null ? SpeechAct.Assertion : Enum.Parse<SpeechAct>(Kind, ignoreCase: true),
            ValidationRules.ParseTimestamp(StatedAt!),
            Quote,
            Language,
            Source is null
                ? null
                : new ClaimSource(Source.Publisher, Source.Url, Source.Title,
                    Source.PublishedAt is null ? null : ValidationRules.ParseTimestamp(Source.PublishedAt)),
            ReportedVia is null ? [] : [.. ReportedVia.Select(r => r!)],
            Spokesperson,
            Certainty is null ? Domain.Claims.Certainty.Certain : Enum.Parse<Domain.Claims.Certainty>(Certainty, ignoreCase: true),
            Quantity is null ? null : new Quantity(Quantity.Min!.Value, Quantity.Max!.Value, Quantity.Unit!),
            Confidence));

    /// <summary>Every rule of the contract for one claim; paths are the client's field names.</summary>
    public sealed class Validator : AbstractValidator<ClaimInput>
    {
        public Validator(TimeProvider clock)
        {
            RuleFor(c => c.ActorId).Slug();
            RuleFor(c => c.ClaimId)
                .Must(id => id is null || Guid.TryParse(id, out var parsed) && parsed != Guid.Empty)
                .WithMessage("Must be a UUID other than the nil UUID.");
            RuleFor(c => c.Subject).NotEmpty().WithMessage("Required.").Slug();
            RuleFor(c => c.Predicate).NotEmpty().WithMessage("Required.").Slug();
            RuleFor(c => c.Object).Slug();
            RuleFor(c => c.Stance).NotEmpty().WithMessage("Required.").OneOf(Stances);
            RuleFor(c => c.Kind).OneOf(Kinds);
            RuleFor(c => c.Kind)
                .Must((c, kind) => kind != "denial" || c.Stance == "denies")
                .WithMessage("A denial must have stance 'denies'.")
                .Must((c, kind) => kind != "accusation" || c.Stance == "affirms")
                .WithMessage("An accusation must have stance 'affirms'.");
            RuleFor(c => c.StatedAt).NotEmpty().WithMessage("Required.").Timestamp()
                .Must(at => at is null || !ValidationRules.TryParseTimestamp(at, out var t) || t <= clock.GetUtcNow().AddDays(1))
                .WithMessage("May not be more than one day in the future.");
            RuleFor(c => c.Quote).Text(MaxQuoteLength);
            RuleFor(c => c.Language).LanguageTag();
            RuleFor(c => c.Source!).SetValidator(new SourceInput.Validator()).When(c => c.Source is not null);
            RuleFor(c => c.ReportedVia)
                .Must(r => r is null || r.Count <= MaxReportedVia)
                .WithMessage($"At most {MaxReportedVia} reporters.");
            RuleForEach(c => c.ReportedVia).NotEmpty().WithMessage("Required.").Slug();
            RuleFor(c => c.Spokesperson).Slug();
            RuleFor(c => c.Certainty).OneOf(Certainties);
            RuleFor(c => c.Quantity!).SetValidator(new QuantityInput.Validator()).When(c => c.Quantity is not null);
            RuleFor(c => c.Confidence).InclusiveBetween(0, 1).WithMessage("Must be between 0 and 1.");
        }
    }
}

public sealed record SourceInput(string? Publisher, string? Url, string? Title, string? PublishedAt)
{
    public sealed class Validator : AbstractValidator<SourceInput>
    {
        public Validator()
        {
            RuleFor(s => s.Publisher).Text(200);
            RuleFor(s => s.Title).Text(1000);
            RuleFor(s => s.Url)
                .Must(url => url is null || url.Length <= 2048
                    && Uri.TryCreate(url, UriKind.Absolute, out var uri)
                    && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps))
                .WithMessage("Must be an absolute http or https URL of at most 2048 characters.");
            RuleFor(s => s.PublishedAt).Timestamp();
        }
    }
}

public sealed record QuantityInput(decimal? Min, decimal? Max, string? Unit)
{
    public sealed class Validator : AbstractValidator<QuantityInput>
    {
        public Validator()
        {
            RuleFor(q => q.Min).NotNull().WithMessage("Required.")
                .GreaterThanOrEqualTo(0).WithMessage("Must be 0 or more.");
            RuleFor(q => q.Max).NotNull().WithMessage("Required.")
                .GreaterThanOrEqualTo(q => q.Min ?? 0).WithMessage("Must be at least min.");
            RuleFor(q => q.Unit).NotEmpty().WithMessage("Required.").Slug();
        }
    }
}

/// <summary>The claim as responses show it.</summary>
public sealed record ClaimView(
    Guid ClaimId,
    string ActorId,
    string PropositionKey,
    string Subject,
    string Predicate,
    string? Object,
    Stance Stance,
    SpeechAct Kind,
    DateTimeOffset StatedAt,
    string? Quote,
    string? Language,
    ClaimSource? Source,
    ImmutableArray<string> ReportedVia,
    string? Spokesperson,
    Certainty Certainty,
    Quantity? Quantity,
    double? Confidence,
    long Version,
    DateTimeOffset RecordedAt,
    bool Retracted,
    Retraction? Retraction)
{
    public static ClaimView From(RecordedClaim claim)
    {
        var c = claim.Content;
        return new(claim.ClaimId, claim.ActorId, c.Proposition.Key, c.Proposition.Subject, c.Proposition.Predicate,
            c.Proposition.Object, c.Stance, c.Kind, c.StatedAt, c.Quote, c.Language, c.Source, c.ReportedVia,
            c.Spokesperson, c.Certainty, c.Quantity, c.Confidence, claim.Version, claim.RecordedAt,
            claim.IsRetracted, claim.Retraction);
    }
}

/// <summary>The answer to a recorded claim: <c>201</c> when new, <c>200</c> when it was there already.</summary>
public sealed record ClaimAccepted(Guid ClaimId, string ActorId, string PropositionKey, long Version)
{
    public static ClaimAccepted From(ClaimEntry claim) =>
        new(claim.ClaimId, claim.ActorId, claim.Proposition.Key, claim.Version);
}

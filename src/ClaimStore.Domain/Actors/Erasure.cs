using System.Collections.Immutable;
using System.Text.RegularExpressions;
using ClaimStore.Domain.Claims;

namespace ClaimStore.Domain.Actors;

public enum ErasureStatus
{
    /// <summary>Erased now; an <see cref="ActorErased"/> event records it.</summary>
    Erased,

    /// <summary>Erased before (the profile holds no name); nothing appended.</summary>
    AlreadyErased,

    ActorNotFound,
}

/// <summary>
/// Whom an erasure is about: the person's actor id, every name and alias their stream ever held, and the
/// claims that name them (whose retractions lose their reasons too).
/// </summary>
public sealed record ErasureScope(string PersonId, ImmutableArray<string> Names, IReadOnlySet<Guid> NamingClaims);

/// <summary>
/// What erasing a person removes from the stored events (decision 0015), as pure rules:
/// <list type="bullet">
/// <item>their name and aliases, in every registration and profile change of their stream;</item>
/// <item>the quote, source title and source URL of every claim that names them: made by them, spoken by them
/// (<c>spokesperson</c>) or passed on by them (<c>reportedVia</c>), and the reasons of those claims' retractions;</item>
/// <item>mentions of their names, as whole words in any case, in the quotes, titles and retraction reasons of other claims.</item>
/// </list>
/// Ids, stances, propositions, times, quantities and the reporting chain stay, so positions and contradictions do not move.
/// </summary>
public static class Erasure
{
    /// <summary>What erased text reads as.</summary>
    public const string Marker = "[erased]";

    public static bool IsErased(ActorProfile? profile) => profile is { Name: Marker, Aliases.IsEmpty: true };

    public static ActorProfile Erase(ActorProfile profile) => profile with { Name = Marker, Aliases = [] };

    /// <summary>The person made the claim, spoke it for its actor, or is in its reporting chain.</summary>
    public static bool Names(ClaimRecorded claim, string personId) =>
        claim.ActorId == personId
        || claim.Claim.Spokesperson == personId
        || claim.Claim.ReportedVia.Contains(personId);

    /// <summary>The names an erasure looks for in other text: distinct, longest first, so a longer name is replaced whole.</summary>
    public static ImmutableArray<string> NamesOf(IEnumerable<ActorProfile> profiles) =>
        [.. profiles.SelectMany(p => p.Aliases.Prepend(p.Name))
            .Select(n => n.Trim())
            .Where(n => n.Length > 0 && n != Marker)
            .Distinct(StringComparer.OrdinalIgnoreCase)
            .OrderByDescending(n => n.Length)
            .ThenBy(n => n, StringComparer.Ordinal)];

    /// <summary>The event as it is stored after the erasure, or null when the erasure leaves it as it is.</summary>
    public static IActorEvent? Rewrite(IActorEvent @event, ErasureScope scope) => @event switch
    {
        ActorRegistered e when e.ActorId == scope.PersonId =>
            e.Name == Marker && e.Aliases.IsEmpty ? null : e with { Name = Marker, Aliases = [] },
        ActorProfileChanged e when e.ActorId == scope.PersonId =>
            e.Name == Marker && e.Aliases.IsEmpty ? null : e with { Name = Marker, Aliases = [] },
        ClaimRecorded e => Changed(e, e with { Claim = Names(e, scope.PersonId) ? EraseText(e.Claim) : RedactText(e.Claim, scope.Names) }),
        ClaimRetracted e when e.Reason is { } reason =>
            Changed(e, e with { Reason = scope.NamingClaims.Contains(e.ClaimId) ? Marker : Redact(reason, scope.Names) }),
        _ => null,
    };

    /// <summary>Quote and source title become the marker, the source URL (which often carries the headline) goes.</summary>
    public static ClaimContent EraseText(ClaimContent claim) => claim with
    {
        Quote = claim.Quote is null ? null : Marker,
        Source = claim.Source is null ? null : claim.Source with { Title = claim.Source.Title is null ? null : Marker, Url = null },
    };

    /// <summary>Every whole-word mention of <paramref name="names"/> in <paramref name="text"/>, in any case, becomes the marker.</summary>
    public static string Redact(string text, ImmutableArray<string> names)
    {
        foreach (var name in names)
        {
            // Letters or digits on either side mean another word ("Rutte" in "Ruttes" is left alone).
            text = Regex.Replace(text, $@"(?<![\p{{L}}\p{{N}}]){Regex.Escape(name)}(?![\p{{L}}\p{{N}}])", Marker,
                RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
        }

        return text;
    }

    private static ClaimContent RedactText(ClaimContent claim, ImmutableArray<string> names) => claim with
    {
        Quote = claim.Quote is null ? null : Redact(claim.Quote, names),
        Source = claim.Source?.Title is not { } title ? claim.Source : claim.Source! with { Title = Redact(title, names) },
    };

    private static T? Changed<T>(T before, T after)
        where T : class, IActorEvent => Equals(before, after) ? null : after;
}

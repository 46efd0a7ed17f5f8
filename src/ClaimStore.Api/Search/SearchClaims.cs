using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using ClaimStore.Api.Claims;
using ClaimStore.Api.Http;
using ClaimStore.Storage;
using FluentValidation;
using Mediator;

namespace ClaimStore.Api.Search;

/// <summary>
/// Claims across actors that match every given filter, <c>statedAt</c> descending, then <c>claimId</c>, a page
/// at a time. <paramref name="Q"/>'s words must all occur in the quote or the source title, matched with the
/// inflections of the claim's language. The answer includes every claim acknowledged before the query.
/// </summary>
public sealed record SearchClaims(
    string? Q, string? ActorId, string? PropositionKey, string? Language, string? StatedFrom, string? StatedTo,
    bool IncludeRetracted, int Limit, string? Cursor) : IRequest<ClaimPage>
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 500;
    public const int MaxQueryLength = 500;

    public sealed class Validator : AbstractValidator<SearchClaims>
    {
        public Validator()
        {
            RuleFor(q => q.Q).Text(MaxQueryLength).OverridePropertyName("q");
            RuleFor(q => q.ActorId).Slug().OverridePropertyName("actorId");
            RuleFor(q => q.PropositionKey).PropositionKey().OverridePropertyName("propositionKey");
            RuleFor(q => q.Language).LanguageTag().OverridePropertyName("language");
            RuleFor(q => q.StatedFrom).Timestamp().OverridePropertyName("statedFrom");
            RuleFor(q => q.StatedTo).Timestamp().OverridePropertyName("statedTo")
                .Must((q, to) => !Bounds(q.StatedFrom, to, out var from, out var until) || from <= until)
                .WithMessage("Must not be before statedFrom.");
            RuleFor(q => q.Limit).InclusiveBetween(1, MaxLimit).WithMessage($"Must be between 1 and {MaxLimit}.")
                .OverridePropertyName("limit");
            RuleFor(q => q.Cursor).Must((q, cursor) => cursor is null || SearchCursor.TryDecode(cursor, q.Filter(), out _))
                .WithMessage("Unknown cursor: pass the nextCursor of a page of this same query.")
                .OverridePropertyName("cursor");
        }

        private static bool Bounds(string? from, string? to, out DateTimeOffset start, out DateTimeOffset end)
        {
            end = default;
            return ValidationRules.TryParseTimestamp(from ?? "", out start) && ValidationRules.TryParseTimestamp(to ?? "", out end);
        }
    }

    /// <summary>The filter as the index takes it; blank words filter nothing.</summary>
    public ClaimSearchFilter Filter() => new(
        string.IsNullOrWhiteSpace(Q) ? null : Q.Trim(),
        ActorId, PropositionKey, Language,
        StatedFrom is not null && ValidationRules.TryParseTimestamp(StatedFrom, out var from) ? from.ToUniversalTime() : null,
        StatedTo is not null && ValidationRules.TryParseTimestamp(StatedTo, out var to) ? to.ToUniversalTime() : null,
        IncludeRetracted);

    public sealed class Handler(ClaimSearchIndex index, ClaimSearchIndexer indexer, IConfiguration configuration)
        : IRequestHandler<SearchClaims, ClaimPage>
    {
        private readonly int _scanRows = Math.Max(1, configuration.GetValue("Search:ScanRows", ClaimSearchIndex.DefaultScanRows));

        public async ValueTask<ClaimPage> Handle(SearchClaims query, CancellationToken cancellationToken)
        {
            var filter = query.Filter();
            ClaimSearchPosition? after = query.Cursor is null ? null
                : SearchCursor.TryDecode(query.Cursor, filter, out var position) ? position
                : throw new InvalidOperationException("The validator accepted the cursor.");
            await indexer.CatchUpAsync(cancellationToken);
            // One more than the page tells whether another page follows.
            var claims = await index.SearchAsync(filter, after, query.Limit + 1, cancellationToken, _scanRows);
            var page = claims.Take(query.Limit).Select(ClaimView.From).ToList();
            var next = claims.Count > query.Limit
                ? SearchCursor.Encode(new ClaimSearchPosition(page[^1].StatedAt, page[^1].ClaimId), filter)
                : null;
            return new ClaimPage(page, next);
        }
    }
}

public sealed record ClaimPage(IReadOnlyList<ClaimView> Claims, string? NextCursor);

/// <summary>
/// A page's end as an opaque token: the last claim's <c>statedAt</c> and id, and a fingerprint of the query's
/// filters, so a cursor can only continue the query that made it (the page size may change).
/// </summary>
public static class SearchCursor
{
    private const byte Format = 1;
    private const int Length = 1 + 8 + 16 + 8;

    public static string Encode(ClaimSearchPosition position, ClaimSearchFilter filter)
    {
        Span<byte> bytes = stackalloc byte[Length];
        bytes[0] = Format;
        BinaryPrimitives.WriteInt64BigEndian(bytes[1..], position.StatedAt.UtcTicks);
        position.ClaimId.TryWriteBytes(bytes[9..], bigEndian: true, out _);
        BinaryPrimitives.WriteUInt64BigEndian(bytes[25..], Fingerprint(filter));
        return Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    public static bool TryDecode(string cursor, ClaimSearchFilter filter, out ClaimSearchPosition position)
    {
        position = default;
        var base64 = cursor.Replace('-', '+').Replace('_', '/');
        Span<byte> bytes = stackalloc byte[Length + 2];
        if (cursor.Length > 64
            || !Convert.TryFromBase64String(base64.PadRight(base64.Length + (4 - base64.Length % 4) % 4, '='), bytes, out var written)
            || written != Length || bytes[0] != Format
            || BinaryPrimitives.ReadUInt64BigEndian(bytes[25..]) != Fingerprint(filter))
        {
            return false;
        }

        var ticks = BinaryPrimitives.ReadInt64BigEndian(bytes[1..]);
        if (ticks < DateTimeOffset.MinValue.UtcTicks || ticks > DateTimeOffset.MaxValue.UtcTicks)
        {
            return false;
        }

        position = new ClaimSearchPosition(new DateTimeOffset(ticks, TimeSpan.Zero), new Guid(bytes[9..25], bigEndian: true));
        return true;
    }

    private static ulong Fingerprint(ClaimSearchFilter filter)
    {
        var text = string.Join('\u001f', filter.Words, filter.ActorId, filter.PropositionKey, filter.Language?.ToLowerInvariant(),
            filter.StatedFrom?.UtcTicks, filter.StatedTo?.UtcTicks, filter.IncludeRetracted);
        return BinaryPrimitives.ReadUInt64BigEndian(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }
}

using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace ClaimStore.Domain.Claims;

/// <summary>
/// A 128-bit fingerprint of a claim's stored meaning, equal exactly when <see cref="ClaimContent"/>s
/// are equal (same normalisation: instants in UTC, language tags case-insensitive). The ledger
/// keeps this instead of the content, so that deciding "same claim again" needs no quote in memory.
/// </summary>
[GenerateSerializer, Immutable]
public readonly record struct ContentHash([property: Id(0)] ulong High, [property: Id(1)] ulong Low)
{
    public static ContentHash Of(ClaimContent content)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var p = content.Proposition;
        Add(hash, p.Subject);
        Add(hash, p.Predicate);
        Add(hash, p.Object);
        Add(hash, content.Stance.ToString());
        Add(hash, content.Kind.ToString());
        Add(hash, content.StatedAt.UtcTicks);
        Add(hash, content.Quote);
        Add(hash, content.Language?.ToLowerInvariant());
        Add(hash, content.Source is null ? 0 : 1);
        Add(hash, content.Source?.Publisher);
        Add(hash, content.Source?.Url);
        Add(hash, content.Source?.Title);
        Add(hash, content.Source?.PublishedAt?.UtcTicks ?? long.MinValue);
        Add(hash, content.ReportedVia.Length);
        foreach (var reporter in content.ReportedVia)
        {
            Add(hash, reporter);
        }

        Add(hash, content.Spokesperson);
        Add(hash, content.Certainty.ToString());
        Add(hash, content.Quantity is null ? "-" : $"{content.Quantity.Min}|{content.Quantity.Max}|{content.Quantity.Unit}");
        Add(hash, content.Confidence is { } c ? BitConverter.DoubleToInt64Bits(c) : long.MinValue);
        Span<byte> digest = stackalloc byte[32];
        hash.GetHashAndReset(digest);
        return new(BinaryPrimitives.ReadUInt64BigEndian(digest), BinaryPrimitives.ReadUInt64BigEndian(digest[8..]));
    }

    // Every field is written with its length (or a null marker), so no two contents share a byte string.
    private static void Add(IncrementalHash hash, string? value)
    {
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, value is null ? -1 : Encoding.UTF8.GetByteCount(value));
        hash.AppendData(length);
        if (value is not null)
        {
            hash.AppendData(Encoding.UTF8.GetBytes(value));
        }
    }

    private static void Add(IncrementalHash hash, long value)
    {
        Span<byte> bytes = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(bytes, value);
        hash.AppendData(bytes);
    }
}

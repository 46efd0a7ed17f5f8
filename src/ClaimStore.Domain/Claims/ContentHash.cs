using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
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
        // One SHA-256 over all fields written into one buffer: the same bytes as feeding them one by
        // one, without a native call per field (ContentHashTests pins the values snapshots hold).
        var fields = new FieldWriter(stackalloc byte[1024]);
        try
        {
            var p = content.Proposition;
            fields.Add(p.Subject);
            fields.Add(p.Predicate);
            fields.Add(p.Object);
            fields.Add(content.Stance.ToString());
            fields.Add(content.Kind.ToString());
            fields.Add(content.StatedAt.UtcTicks);
            fields.Add(content.Quote);
            fields.Add(content.Language?.ToLowerInvariant());
            fields.Add(content.Source is null ? 0 : 1);
            fields.Add(content.Source?.Publisher);
            fields.Add(content.Source?.Url);
            fields.Add(content.Source?.Title);
            fields.Add(content.Source?.PublishedAt?.UtcTicks ?? long.MinValue);
            fields.Add(content.ReportedVia.Length);
            foreach (var reporter in content.ReportedVia)
            {
                fields.Add(reporter);
            }

            fields.Add(content.Spokesperson);
            fields.Add(content.Certainty.ToString());
            fields.Add(content.Quantity is null
                ? "-"
                : string.Create(CultureInfo.InvariantCulture, $"{content.Quantity.Min}|{content.Quantity.Max}|{content.Quantity.Unit}"));
            fields.Add(content.Confidence is { } c ? BitConverter.DoubleToInt64Bits(c) : long.MinValue);
            Span<byte> digest = stackalloc byte[32];
            SHA256.HashData(fields.Written, digest);
            return new(BinaryPrimitives.ReadUInt64BigEndian(digest), BinaryPrimitives.ReadUInt64BigEndian(digest[8..]));
        }
        finally
        {
            fields.Dispose();
        }
    }

    /// <summary>
    /// Every field with its length (or a null marker) first, so no two contents share a byte string;
    /// numbers as 8 bytes, big-endian. Grows into a pooled array past its first buffer.
    /// </summary>
    private ref struct FieldWriter(Span<byte> initial)
    {
        private Span<byte> _buffer = initial;
        private byte[]? _rented;
        private int _length;

        public readonly ReadOnlySpan<byte> Written => _buffer[.._length];

        public void Add(string? value)
        {
            if (value is null)
            {
                WriteLength(-1);
                return;
            }

            var count = Encoding.UTF8.GetByteCount(value);
            WriteLength(count);
            Ensure(count);
            _length += Encoding.UTF8.GetBytes(value, _buffer[_length..]);
        }

        public void Add(long value)
        {
            Ensure(8);
            BinaryPrimitives.WriteInt64BigEndian(_buffer[_length..], value);
            _length += 8;
        }

        public readonly void Dispose()
        {
            if (_rented is not null)
            {
                ArrayPool<byte>.Shared.Return(_rented);
            }
        }

        private void WriteLength(int length)
        {
            Ensure(4);
            BinaryPrimitives.WriteInt32BigEndian(_buffer[_length..], length);
            _length += 4;
        }

        private void Ensure(int more)
        {
            if (_length + more <= _buffer.Length)
            {
                return;
            }

            var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, _length + more));
            _buffer[.._length].CopyTo(bigger);
            if (_rented is not null)
            {
                ArrayPool<byte>.Shared.Return(_rented);
            }

            _rented = bigger;
            _buffer = bigger;
        }
    }
}

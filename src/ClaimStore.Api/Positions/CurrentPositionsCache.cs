using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace ClaimStore.Api.Positions;

/// <summary>
/// The JSON of actors' current positions, per actor and stream version: what dashboards poll. An
/// actor's current positions depend on nothing but its stream up to a version, so an entry is right
/// for as long as the grain reports that version; the grain is still asked on every request, so
/// a write is visible in the very next read. Bounded: past <see cref="MaxBytes"/> it starts afresh.
/// </summary>
public sealed class CurrentPositionsCache(IOptions<JsonOptions> json)
{
    public const long MaxBytes = 16 * 1024 * 1024;

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private long _bytes;

    /// <summary>The JSON of <paramref name="actorId"/>'s positions at <paramref name="version"/>, made by <paramref name="view"/> on a miss.</summary>
    public byte[] GetOrAdd(string actorId, long version, Func<PositionsView> view)
    {
        if (_entries.TryGetValue(actorId, out var cached) && cached.Version == version)
        {
            return cached.Utf8;
        }

        var utf8 = JsonSerializer.SerializeToUtf8Bytes(view(), json.Value.SerializerOptions);
        if (Interlocked.Add(ref _bytes, utf8.Length) > MaxBytes)
        {
            // Rare (16 MiB of positions): dropping everything is cheaper than tracking recency on every hit.
            _entries.Clear();
            Interlocked.Exchange(ref _bytes, utf8.Length);
        }

        // A concurrent request may have stored a later version meanwhile: versions only grow, keep the later one.
        var entry = new Entry(version, utf8);
        _entries.AddOrUpdate(actorId, entry, (_, existing) => existing.Version > version ? existing : entry);
        return utf8;
    }

    /// <summary>Forgets every entry: after the store was emptied, versions start again and would match old JSON.</summary>
    public void Clear()
    {
        _entries.Clear();
        Interlocked.Exchange(ref _bytes, 0);
    }

    private sealed record Entry(long Version, byte[] Utf8);
}

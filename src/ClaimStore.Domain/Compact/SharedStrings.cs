namespace ClaimStore.Domain.Compact;

/// <summary>
/// One string instance per distinct text, shared process-wide, like <see cref="string.Intern"/> but
/// kept in a plain managed table. The runtime's intern table costs about 60 bytes of native memory
/// and a pinned handle per string on top of the string itself (24 MiB of native memory for the
/// 476,000 slugs of the rebuild benchmark); here an entry costs one array slot, 11 to 21 bytes.
/// </summary>
/// <remarks>
/// Open addressing, at most three quarters full. Lookups take no lock: a slot goes from empty to a string once
/// and never changes, and a grown table is filled before it is published, so a reader sees either
/// table in a consistent state; a miss is checked again under the lock before adding. Nothing relies
/// on two equal texts being the same instance (callers compare ordinally); sharing only saves memory.
/// Entries are never removed, like interned strings.
/// </remarks>
public static class SharedStrings
{
    private static readonly Lock Gate = new();
    private static string?[] _slots = new string?[1 << 12];
    private static int _count;

    /// <summary>Distinct texts held.</summary>
    public static int Count => Volatile.Read(ref _count);

    /// <summary>Bytes of the table itself (the strings not included).</summary>
    public static long TableBytes => (long)Volatile.Read(ref _slots).Length * IntPtr.Size;

    /// <summary>The shared instance equal to <paramref name="value"/> (<paramref name="value"/> itself the first time).</summary>
    public static string Share(string value)
    {
        var hash = StringComparer.Ordinal.GetHashCode(value);
        return Find(Volatile.Read(ref _slots), value, hash) ?? Add(value, hash);
    }

    private static string? Find(string?[] slots, string value, int hash)
    {
        var mask = slots.Length - 1;
        for (var i = hash & mask; ; i = (i + 1) & mask)
        {
            var candidate = Volatile.Read(ref slots[i]);
            if (candidate is null)
            {
                return null;
            }

            if (string.Equals(candidate, value, StringComparison.Ordinal))
            {
                return candidate;
            }
        }
    }

    private static string Add(string value, int hash)
    {
        lock (Gate)
        {
            var slots = _slots;
            if (Find(slots, value, hash) is { } found)
            {
                return found;
            }

            if ((_count + 1) * 4 > slots.Length * 3)
            {
                var grown = new string?[slots.Length * 2];
                foreach (var s in slots)
                {
                    if (s is not null)
                    {
                        Place(grown, s, StringComparer.Ordinal.GetHashCode(s));
                    }
                }

                slots = grown;
                Volatile.Write(ref _slots, grown);
            }

            Place(slots, value, hash);
            Volatile.Write(ref _count, _count + 1);
            return value;
        }
    }

    private static void Place(string?[] slots, string value, int hash)
    {
        var mask = slots.Length - 1;
        var i = hash & mask;
        while (slots[i] is not null)
        {
            i = (i + 1) & mask;
        }

        Volatile.Write(ref slots[i], value);
    }
}

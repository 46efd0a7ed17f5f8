using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace ClaimStore.Api.Auth;

/// <summary>A configured key: its holder's name, the SHA-256 of the key and every role it grants.</summary>
public sealed record ApiKey(string Name, ImmutableArray<byte> Sha256, ImmutableArray<string> Roles);

/// <summary>
/// The configured API keys, checked from <c>Auth:ApiKeys</c> at start. Only hashes are held:
/// a presented key is hashed and compared in constant time against every entry.
/// </summary>
public sealed class ApiKeyRing
{
    private readonly ImmutableArray<ApiKey> _keys;

    public ApiKeyRing(ImmutableArray<ApiKey> keys) => _keys = keys;

    /// <summary>The keys of <c>Auth:ApiKeys</c>; throws, naming every mistake, when an entry is invalid.</summary>
    public static ApiKeyRing From(AuthSettings settings)
    {
        var keys = Parse(settings.ApiKeys, out var errors);
        return errors.Count == 0 ? new ApiKeyRing(keys) : throw new InvalidOperationException(Describe(errors));
    }

    public bool IsEmpty => _keys.IsEmpty;

    public IEnumerable<string> Names => _keys.Select(k => k.Name);

    /// <summary>The key that hashes to the same SHA-256 as <paramref name="presented"/>, or null.</summary>
    public ApiKey? Find(string presented)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(presented), hash);
        ApiKey? match = null;
        // Every entry is compared, each in constant time: the answer's timing says nothing about the key.
        foreach (var key in _keys)
        {
            if (CryptographicOperations.FixedTimeEquals(key.Sha256.AsSpan(), hash))
            {
                match = key;
            }
        }

        return match;
    }

    /// <summary>Reads <c>Auth:ApiKeys</c>; every mistake goes into <paramref name="errors"/>, naming the entry by index.</summary>
    public static ImmutableArray<ApiKey> Parse(IReadOnlyList<ApiKeySettings> entries, out List<string> errors)
    {
        errors = [];
        var keys = ImmutableArray.CreateBuilder<ApiKey>(entries.Count);
        for (var i = 0; i < entries.Count; i++)
        {
            var entry = entries[i];
            var at = $"Auth:ApiKeys:{i}";
            var before = errors.Count;
            var name = entry.Name?.Trim();
            if (string.IsNullOrEmpty(name))
            {
                errors.Add($"{at}:Name is required.");
            }
            else if (keys.Any(k => k.Name == name))
            {
                errors.Add($"{at}:Name '{name}' is used by another key.");
            }

            var hash = ParseSha256(entry.Sha256);
            if (hash is null)
            {
                errors.Add($"{at}:Sha256 must be 64 hexadecimal digits: the SHA-256 of the key, as printed by printf %s \"$KEY\" | sha256sum.");
            }
            else if (keys.Any(k => k.Sha256.SequenceEqual(hash)))
            {
                errors.Add($"{at}:Sha256 is the hash of another entry's key; give each holder a key of its own.");
            }

            var roles = entry.Roles.Select(r => (Given: r, Role: ApiRoles.Parse(r))).ToList();
            if (roles.Count == 0)
            {
                errors.Add($"{at}:Roles must name at least one of: {string.Join(", ", ApiRoles.All)}.");
            }

            errors.AddRange(roles.Where(r => r.Role is null)
                .Select(r => $"{at}:Roles has '{r.Given}', which is not one of: {string.Join(", ", ApiRoles.All)}."));

            if (errors.Count == before)
            {
                keys.Add(new ApiKey(name!, [.. hash!], ApiRoles.Including(roles.Select(r => r.Role!))));
            }
        }

        return errors.Count == 0 ? keys.ToImmutable() : [];
    }

    public static string Describe(IEnumerable<string> errors) =>
        $"The API key configuration is invalid: {string.Join(" ", errors)}";

    private static byte[]? ParseSha256(string? hex)
    {
        hex = hex?.Trim();
        if (hex is not { Length: SHA256.HashSizeInBytes * 2 } || !hex.All(char.IsAsciiHexDigit))
        {
            return null;
        }

        return Convert.FromHexString(hex);
    }

    /// <summary>Checks the <c>Auth</c> section when the host starts, so a bad key entry stops it with a clear message.</summary>
    internal sealed class Validator : IValidateOptions<AuthSettings>
    {
        public ValidateOptionsResult Validate(string? name, AuthSettings options)
        {
            Parse(options.ApiKeys, out var errors);
            if (options.RateLimit.PermitsPerSecond < 0)
            {
                errors.Add("Auth:RateLimit:PermitsPerSecond must be 0 (no limit) or more.");
            }

            if (options.RateLimit.PermitsPerSecond > 0 && options.RateLimit.Burst < 1)
            {
                errors.Add("Auth:RateLimit:Burst must be at least 1.");
            }

            return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(Describe(errors));
        }
    }
}

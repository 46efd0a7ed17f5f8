namespace ClaimStore.Api.Auth;

/// <summary>The <c>Auth</c> configuration section.</summary>
public sealed class AuthSettings
{
    public const string Section = "Auth";

    /// <summary>The keys clients may send in <c>X-Api-Key</c>; none configured has its own rules (see <see cref="ApiRoles.OpenWithoutKeys"/>).</summary>
    public List<ApiKeySettings> ApiKeys { get; set; } = [];

    public RateLimitSettings RateLimit { get; set; } = new();
}

/// <summary>One entry of <c>Auth:ApiKeys</c>. Only the key's hash is configured, never the key.</summary>
public sealed class ApiKeySettings
{
    /// <summary>Who holds the key; the only thing about a key that logs and problem details name.</summary>
    public string? Name { get; set; }

    /// <summary>The lowercase hex SHA-256 of the key's UTF-8 bytes (<c>printf %s "$KEY" | sha256sum</c>).</summary>
    public string? Sha256 { get; set; }

    /// <summary><c>reader</c>, <c>writer</c> or <c>admin</c>; each includes the ones before it.</summary>
    public List<string> Roles { get; set; } = [];
}

/// <summary><c>Auth:RateLimit</c>: a token bucket per API key for writes (anonymous writes, Development only, are not limited).</summary>
public sealed class RateLimitSettings
{
    /// <summary>Writes per second a key may sustain; 0 turns the limit off.</summary>
    public int PermitsPerSecond { get; set; } = 200;

    /// <summary>Writes a key may make at once after a quiet spell.</summary>
    public int Burst { get; set; } = 400;
}

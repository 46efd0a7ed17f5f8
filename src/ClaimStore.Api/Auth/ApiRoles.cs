using System.Collections.Immutable;

namespace ClaimStore.Api.Auth;

/// <summary>
/// The roles an API key can hold, weakest first: each includes every role before it, so a writer
/// reads and an admin writes. The role names are also the authorization policy names.
/// </summary>
public static class ApiRoles
{
    /// <summary>Every <c>GET</c>.</summary>
    public const string Reader = "reader";

    /// <summary>Every <c>PUT</c> and <c>POST</c>: registering actors, recording and retracting claims.</summary>
    public const string Writer = "writer";

    /// <summary>What operators read: <c>/metrics</c> and the Orleans dashboard.</summary>
    public const string Admin = "admin";

    public static readonly ImmutableArray<string> All = [Reader, Writer, Admin];

    /// <summary>The configured role name in canonical form, or null when it is not a role.</summary>
    public static string? Parse(string? role) =>
        All.FirstOrDefault(r => string.Equals(r, role?.Trim(), StringComparison.OrdinalIgnoreCase));

    /// <summary>The roles held by whoever holds <paramref name="roles"/>: each with every weaker one.</summary>
    public static ImmutableArray<string> Including(IEnumerable<string> roles)
    {
        var strongest = roles.Select(r => All.IndexOf(r)).DefaultIfEmpty(-1).Max();
        return All[..(strongest + 1)];
    }

    /// <summary>The stronger of two roles.</summary>
    public static string Stronger(string a, string b) => All.IndexOf(a) >= All.IndexOf(b) ? a : b;

    /// <summary>
    /// Whether a request without a (known) key may do what <paramref name="role"/> allows when no
    /// key is configured at all: in Development everything, elsewhere reading only, so that a
    /// production host that was deployed without keys never takes anonymous writes.
    /// </summary>
    public static bool OpenWithoutKeys(string role, bool development) => development || role == Reader;
}

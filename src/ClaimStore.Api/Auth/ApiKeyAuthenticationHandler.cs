using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace ClaimStore.Api.Auth;

/// <summary>
/// Authenticates the <c>X-Api-Key</c> header against <see cref="ApiKeyRing"/>. The principal is
/// named after the key's holder and carries every role the key grants. The key itself is never
/// logged nor echoed: failures say only that the key is not known.
/// </summary>
internal sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, ApiKeyRing keys)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string HeaderName = "X-Api-Key";

    /// <summary>The workbench's session cookie, which stands in for the header on reads (<c>GET</c>, <c>HEAD</c>) only.</summary>
    public const string CookieName = "ClaimStore-Key";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var presented = Request.Headers[HeaderName];
        if (presented.Count == 0)
        {
            // A write needs the header, which no other site can make a browser send: the cookie cannot be used against its holder.
            if (!(HttpMethods.IsGet(Request.Method) || HttpMethods.IsHead(Request.Method))
                || !Request.Cookies.TryGetValue(CookieName, out var cookie))
            {
                return Task.FromResult(AuthenticateResult.NoResult());
            }

            presented = cookie;
        }

        if (presented is not [{ Length: > 0 } single] || keys.Find(single) is not { } key)
        {
            return Task.FromResult(AuthenticateResult.Fail("The API key is not known."));
        }

        var identity = new ClaimsIdentity(
            [new Claim(ClaimTypes.Name, key.Name), .. key.Roles.Select(role => new Claim(ClaimTypes.Role, role))],
            SchemeName, ClaimTypes.Name, ClaimTypes.Role);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = SchemeName;
        return Task.CompletedTask;
    }
}

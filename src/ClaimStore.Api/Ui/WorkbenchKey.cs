using ClaimStore.Api.Auth;

namespace ClaimStore.Api.Ui;

/// <summary>
/// Keeps the analyst's API key for the browser session: the key form posts here, and a key the host knows
/// is set as a session cookie (no expiry: it ends with the browser session). The host accepts that cookie
/// in place of <c>X-Api-Key</c> on reads only (<see cref="ApiKeyAuthenticationHandler"/>); the workbench's
/// script sends it as <c>X-Api-Key</c> with its writes. See decision 0011.
/// </summary>
internal static class WorkbenchKey
{
    public static void Map(WebApplication app)
    {
        app.MapPost(WorkbenchRoutes.KeepKey, Keep).AllowAnonymous().ExcludeFromDescription();
        app.MapPost(WorkbenchRoutes.ForgetKey, Forget).AllowAnonymous().ExcludeFromDescription();
    }

    /// <summary>A path on this host to return to after the key form; anything else returns to the overview.</summary>
    public static string LocalPath(string? returnUrl) =>
        returnUrl is ['/', not '/' and not '\\', ..] or "/" ? returnUrl : "/";

    private static async Task<IResult> Keep(HttpContext context, ApiKeyRing keys)
    {
        // The form is read by hand: a form-bound parameter would ask for an antiforgery token, and this
        // form grants nothing a key does not already grant.
        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        var returnUrl = LocalPath(form["returnUrl"]);
        var key = form["key"].ToString().Trim();
        if (key.Length == 0 || keys.Find(key) is null)
        {
            return Results.Redirect($"{WorkbenchRoutes.Key}?unknown=true&returnUrl={Uri.EscapeDataString(returnUrl)}");
        }

        context.Response.Cookies.Append(ApiKeyAuthenticationHandler.CookieName, key, new CookieOptions
        {
            // Readable by the workbench's script, which sends it as X-Api-Key with writes; Strict keeps
            // it off every request another site starts.
            HttpOnly = false,
            SameSite = SameSiteMode.Strict,
            Secure = context.Request.IsHttps,
            Path = "/",
        });
        return Results.Redirect(returnUrl);
    }

    private static IResult Forget(HttpContext context)
    {
        context.Response.Cookies.Delete(ApiKeyAuthenticationHandler.CookieName, new CookieOptions { Path = "/" });
        return Results.Redirect(WorkbenchRoutes.Key);
    }
}

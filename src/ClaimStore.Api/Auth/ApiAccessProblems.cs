using ClaimStore.Api.Http;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Mvc;

namespace ClaimStore.Api.Auth;

/// <summary>
/// Answers a refused request with a problem detail that tells the client what is missing: 401
/// (no key, an unknown key, or no keys configured on this host) or 403 (a key with too weak a role).
/// </summary>
internal sealed class ApiAccessProblems(ApiKeyRing keys, IProblemDetailsService problems) : IAuthorizationMiddlewareResultHandler
{
    public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        if (authorizeResult.Succeeded)
        {
            await next(context);
            return;
        }

        // A workbench page without a (known) key sends the browser to the key form instead.
        if (!authorizeResult.Forbidden && context.GetEndpoint()?.Metadata.GetMetadata<Ui.WorkbenchPage>() is not null)
        {
            var back = $"{context.Request.PathBase}{context.Request.Path}{context.Request.QueryString}";
            context.Response.Redirect($"{Ui.WorkbenchRoutes.Key}?returnUrl={Uri.EscapeDataString(back)}");
            return;
        }

        var role = (authorizeResult.AuthorizationFailure?.FailedRequirements ?? [])
            .OfType<ApiRoleRequirement>().Select(r => r.Role).Aggregate(ApiRoles.Reader, ApiRoles.Stronger);
        ProblemDetails problem;
        if (authorizeResult.Forbidden)
        {
            await context.ForbidAsync(ApiKeyAuthenticationHandler.SchemeName);
            problem = Problems.Create(StatusCodes.Status403Forbidden, "Forbidden",
                $"The API key '{context.User.Identity?.Name}' does not have the '{role}' role this request needs.");
        }
        else
        {
            await context.ChallengeAsync(ApiKeyAuthenticationHandler.SchemeName);
            problem = Problems.Create(StatusCodes.Status401Unauthorized, "Unauthorized", Unauthorized(context, role));
        }

        await problems.WriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem });
    }

    private string Unauthorized(HttpContext context, string role) =>
        keys.IsEmpty
            ? $"This host has no API keys configured, so it accepts no '{role}' requests. Configure Auth:ApiKeys: entries "
              + "of {\"name\", \"sha256\", \"roles\"}, where sha256 is the lowercase hex SHA-256 of the key "
              + "(printf %s \"$KEY\" | sha256sum) and roles are reader, writer or admin; then send the key in the "
              + $"{ApiKeyAuthenticationHandler.HeaderName} header."
            : context.Request.Headers.ContainsKey(ApiKeyAuthenticationHandler.HeaderName)
                ? $"The API key in the {ApiKeyAuthenticationHandler.HeaderName} header is not known."
                : $"Send an API key with the '{role}' role in the {ApiKeyAuthenticationHandler.HeaderName} header.";
}

using Microsoft.AspNetCore.Authorization;

namespace ClaimStore.Api.Auth;

/// <summary>The request needs a key holding <see cref="Role"/> (or, with no key configured, <see cref="ApiRoles.OpenWithoutKeys"/>).</summary>
public sealed record ApiRoleRequirement(string Role) : IAuthorizationRequirement
{
    internal sealed class Handler(ApiKeyRing keys, IHostEnvironment environment) : AuthorizationHandler<ApiRoleRequirement>
    {
        protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, ApiRoleRequirement requirement)
        {
            if (context.User.IsInRole(requirement.Role)
                || (keys.IsEmpty && ApiRoles.OpenWithoutKeys(requirement.Role, environment.IsDevelopment())))
            {
                context.Succeed(requirement);
            }

            return Task.CompletedTask;
        }
    }
}

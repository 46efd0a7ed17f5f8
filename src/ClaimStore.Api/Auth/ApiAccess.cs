using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace ClaimStore.Api.Auth;

/// <summary>
/// API keys, the role policies and the write rate limit: the services, the middleware, and the
/// conventions endpoints declare what they need with (<see cref="RequireReader"/>, <see cref="RequireWriter"/>,
/// <see cref="RequireAdmin"/>).
/// </summary>
internal static partial class ApiAccess
{
    public static IServiceCollection AddClaimStoreAuth(this IServiceCollection services)
    {
        services.AddOptions<AuthSettings>().BindConfiguration(AuthSettings.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<AuthSettings>, ApiKeyRing.Validator>();
        services.AddSingleton(sp => ApiKeyRing.From(sp.GetRequiredService<IOptions<AuthSettings>>().Value));

        // AddAuthenticationCore, not AddAuthentication: that one also brings data protection, which
        // API keys do not use and which would create and load a key ring (with warnings in a container).
        services.AddAuthenticationCore(options => options.DefaultScheme = ApiKeyAuthenticationHandler.SchemeName);
        services.AddWebEncoders();
        services.TryAddSingleton(TimeProvider.System);
        new AuthenticationBuilder(services)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        var authorization = services.AddAuthorizationBuilder();
        foreach (var role in ApiRoles.All)
        {
            authorization.AddPolicy(role, policy => policy.AddRequirements(new ApiRoleRequirement(role)));
        }

        // Whatever is mapped without a policy of its own needs at least a reader key.
        authorization.SetFallbackPolicy(new AuthorizationPolicyBuilder().AddRequirements(new ApiRoleRequirement(ApiRoles.Reader)).Build());
        services.AddSingleton<IAuthorizationHandler, ApiRoleRequirement.Handler>();
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, ApiAccessProblems>();

        services.AddRateLimiter(_ => { });
        services.AddOptions<RateLimiterOptions>()
            .Configure<IOptions<AuthSettings>>((options, auth) => WriteRateLimit.Configure(options, auth.Value.RateLimit));
        return services;
    }

    /// <summary>Authentication, the role policies, then the write rate limit (so a refused request spends no token).</summary>
    public static WebApplication UseClaimStoreAuth(this WebApplication app)
    {
        var keys = app.Services.GetRequiredService<ApiKeyRing>();
        if (!keys.IsEmpty)
        {
            LogKeys(app.Logger, string.Join(", ", keys.Names));
        }
        else if (app.Environment.IsDevelopment())
        {
            LogOpen(app.Logger);
        }
        else
        {
            LogWritesRefused(app.Logger);
        }

        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();
        return app;
    }

    /// <summary>Reading needs a key with the reader role.</summary>
    public static TBuilder RequireReader<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder =>
        builder.RequireAuthorization(ApiRoles.Reader)
            .WithProblems(StatusCodes.Status401Unauthorized, StatusCodes.Status403Forbidden);

    /// <summary>Writing needs a key with the writer role and is rate limited per key.</summary>
    public static TBuilder RequireWriter<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder =>
        builder.RequireAuthorization(ApiRoles.Writer)
            .RequireRateLimiting(WriteRateLimit.PolicyName)
            .WithProblems(StatusCodes.Status401Unauthorized, StatusCodes.Status403Forbidden,
                StatusCodes.Status413PayloadTooLarge, StatusCodes.Status429TooManyRequests);

    /// <summary>Operator commands need a key with the admin role; they are rate limited like writes.</summary>
    public static TBuilder RequireAdmin<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder =>
        builder.RequireAuthorization(ApiRoles.Admin)
            .RequireRateLimiting(WriteRateLimit.PolicyName)
            .WithProblems(StatusCodes.Status401Unauthorized, StatusCodes.Status403Forbidden, StatusCodes.Status429TooManyRequests);

    /// <summary>Operators' reading (metrics, the Orleans dashboard) needs a key with the admin role; not rate limited.</summary>
    public static TBuilder RequireAdminToRead<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder =>
        builder.RequireAuthorization(ApiRoles.Admin)
            .WithProblems(StatusCodes.Status401Unauthorized, StatusCodes.Status403Forbidden);

    private static TBuilder WithProblems<TBuilder>(this TBuilder builder, params int[] statuses)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata([.. statuses.Select(status =>
            new ProducesResponseTypeMetadata(status, typeof(ProblemDetails), ["application/problem+json"]))]);

    [LoggerMessage(Level = LogLevel.Information, Message = "API keys configured: {Names}")]
    private static partial void LogKeys(ILogger logger, string names);

    [LoggerMessage(Level = LogLevel.Warning, Message = "No API keys configured (Auth:ApiKeys): Development answers every request without a key")]
    private static partial void LogOpen(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "No API keys configured (Auth:ApiKeys): reads are open and every write is refused with 401")]
    private static partial void LogWritesRefused(ILogger logger);
}

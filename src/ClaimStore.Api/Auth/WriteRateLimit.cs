using System.Globalization;
using System.Threading.RateLimiting;
using ClaimStore.Api.Http;
using Microsoft.AspNetCore.RateLimiting;

namespace ClaimStore.Api.Auth;

/// <summary>
/// A token bucket per API key for writes. One request takes one token, so a batch counts once.
/// Anonymous writes, which only Development without keys accepts, are not limited: that host is
/// open to whoever reaches it anyway, and a limit there would only throttle the developer's own
/// imports and load runs (docs/api.md).
/// </summary>
internal static class WriteRateLimit
{
    public const string PolicyName = "writes";

    public static void Configure(RateLimiterOptions options, RateLimitSettings settings)
    {
        options.AddPolicy(PolicyName, context => settings.PermitsPerSecond <= 0 || KeyName(context) is not { } key
            ? RateLimitPartition.GetNoLimiter("")
            : RateLimitPartition.GetTokenBucketLimiter(key, _ => new TokenBucketRateLimiterOptions
            {
                TokenLimit = settings.Burst,
                TokensPerPeriod = settings.PermitsPerSecond,
                ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                QueueLimit = 0,
                AutoReplenishment = true,
            }));
        options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
        options.OnRejected = async (rejected, _) =>
        {
            var seconds = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter)
                ? Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds))
                : 1;
            var context = rejected.HttpContext;
            context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            var problem = Problems.Create(StatusCodes.Status429TooManyRequests, "Too many requests",
                $"At most {settings.PermitsPerSecond} writes per second, in bursts of up to {settings.Burst}, are accepted per API key; "
                + $"retry after {seconds} s.");
            await context.RequestServices.GetRequiredService<IProblemDetailsService>()
                .WriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem });
        };
    }

    /// <summary>The accepted key's name, never the key; null for an anonymous request.</summary>
    public static string? KeyName(HttpContext context) =>
        context.User.Identity is { IsAuthenticated: true, Name: { } name } ? name : null;
}

using ClaimStore.Api.Auth;
using Mediator;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ClaimStore.Api.Testing;

/// <summary>The <c>Testing</c> configuration section: hooks for test suites, all off by default.</summary>
public sealed class TestingSettings
{
    /// <summary>Maps <c>POST /testing/reset</c>, which empties the whole store. Never in production.</summary>
    public bool AllowReset { get; set; }
}

/// <summary>Hooks for test suites that run against real hosts (the test kit, ClaimStore.Testing).</summary>
internal static class TestingApi
{
    public static IEndpointRouteBuilder MapTesting(this IEndpointRouteBuilder routes, IConfiguration configuration)
    {
        var settings = configuration.GetSection("Testing").Get<TestingSettings>() ?? new TestingSettings();
        if (settings.AllowReset)
        {
            routes.MapPost("/testing/reset", ResetStore).WithTags("Testing").WithName(nameof(ResetStore)).RequireAdmin()
                .WithSummary("Empty the store (test suites only)")
                .WithDescription(
                    "Only with the setting Testing:AllowReset=true. Ends every actor activation in the cluster, deletes every " +
                    "event, stream, snapshot and indexed claim, and starts this host's read side and live feeds over; open " +
                    "feeds on this host end. Call it on every host of the cluster, with no client writing meanwhile: each " +
                    "host's read side lives in its own process.");
        }

        return routes;
    }

    public static async Task<Ok<StoreResetReport>> ResetStore(IMediator mediator, CancellationToken cancellationToken) =>
        TypedResults.Ok(await mediator.Send(new Testing.ResetStore(), cancellationToken));
}

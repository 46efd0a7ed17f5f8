using ClaimStore.Storage;
using Orleans.Runtime;

namespace ClaimStore.Api.Operations;

/// <summary>Liveness and readiness for load balancers and orchestrators.</summary>
internal static class OperationsApi
{
    private static readonly TimeSpan DatabaseProbeTimeout = TimeSpan.FromSeconds(2);

    public static IEndpointRouteBuilder MapOperations(this IEndpointRouteBuilder routes)
    {
        // Load balancers and orchestrators probe these without a key.
        var operations = routes.MapGroup("/").WithTags("Operations").AllowAnonymous();
        operations.MapGet("/alive", () => TypedResults.Ok(new HealthReport("alive", null, null))).WithName("Alive");
        operations.MapGet("/health", Health).WithName(nameof(Health));
        return routes;
    }

    /// <summary>200 when this host's silo is active and PostgreSQL answers, 503 otherwise.</summary>
    public static async Task<IResult> Health(
        DatabaseProbe database, ISiloStatusOracle silo, CancellationToken cancellationToken)
    {
        var siloStatus = silo.CurrentStatus;
        var databaseUp = await database.AnswersAsync(DatabaseProbeTimeout, cancellationToken);
        var healthy = siloStatus == SiloStatus.Active && databaseUp;
        var report = new HealthReport(healthy ? "healthy" : "unhealthy", siloStatus.ToString(), databaseUp ? "up" : "down");
        return healthy
            ? TypedResults.Ok(report)
            : TypedResults.Json(report, statusCode: StatusCodes.Status503ServiceUnavailable);
    }

    public sealed record HealthReport(string Status, string? Silo, string? Database);
}

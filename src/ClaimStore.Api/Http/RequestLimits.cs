using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Metadata;

namespace ClaimStore.Api.Http;

/// <summary>
/// How large a request body may be: <see cref="MaxBodyBytes"/> everywhere (Kestrel's limit), more
/// on endpoints that declare it with <see cref="WithMaxBodySize"/> (routing raises Kestrel's limit
/// for them before the body is read).
/// </summary>
public static class RequestLimits
{
    public const long MaxBodyBytes = 1024 * 1024;

    public const long MaxBatchBodyBytes = 16 * 1024 * 1024;

    public static TBuilder WithMaxBodySize<TBuilder>(this TBuilder builder, long bytes)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new MaxBodySize(bytes));

    /// <summary>
    /// Refuses a body whose declared length is over the endpoint's limit before anything reads it,
    /// through <see cref="ErrorMapping"/> like every other error. (A body without a length is cut
    /// off by Kestrel as it is read; minimal APIs answer that with 413 too.)
    /// </summary>
    public static IApplicationBuilder UseDeclaredBodySizeCheck(this IApplicationBuilder app) =>
        app.Use((context, next) =>
            context.Request.ContentLength is { } length && Limit(context) is { } limit && length > limit
                ? throw new BadHttpRequestException(
                    $"The request body is {length} bytes; {Accepted(limit)}.", StatusCodes.Status413PayloadTooLarge)
                : next(context));

    /// <summary>
    /// Gives the 413 that minimal APIs write when Kestrel cuts off a body without a declared length
    /// (no exception reaches <see cref="ErrorMapping"/> then) the same detail as the others.
    /// </summary>
    public static void DescribeTooLarge(ProblemDetailsContext context)
    {
        if (context.ProblemDetails is { Status: StatusCodes.Status413PayloadTooLarge, Detail: null } problem)
        {
            problem.Title = "Request body too large";
            problem.Detail = Limit(context.HttpContext) is { } limit
                ? $"The request body is too large; {Accepted(limit)}."
                : "The request body is too large.";
        }
    }

    private static long? Limit(HttpContext context) => context.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize;

    private static string Accepted(long limit) =>
        $"this endpoint accepts at most {limit} bytes ({limit / (1024.0 * 1024):0.##} MiB)";

    private sealed record MaxBodySize(long? MaxRequestBodySize) : IRequestSizeLimitMetadata;
}

using System.Diagnostics;
using ClaimStore.Storage.Telemetry;
using Microsoft.Extensions.Options;

namespace ClaimStore.Api.Telemetry;

/// <summary>
/// Counts refused requests by reason (<c>claimstore.requests.rejected</c>) and, when
/// <c>Telemetry:RequestLog</c> asks for it, logs one Information line per request. Runs outermost,
/// so it sees the status the exception handler and the authorization answered with.
/// </summary>
internal sealed partial class RequestTelemetry(RequestDelegate next, IOptions<TelemetrySettings> settings, ILogger<RequestTelemetry> logger)
{
    private readonly bool _log = settings.Value.RequestLog;

    public async Task InvokeAsync(HttpContext context)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            await next(context);
        }
        finally
        {
            var status = context.Response.StatusCode;
            if (Reason(status) is { } reason)
            {
                ClaimStoreMeter.RequestsRejected.Add(1, new KeyValuePair<string, object?>("reason", reason));
            }

            if (_log)
            {
                LogRequest(logger, context.Request.Method, context.Request.Path, status, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        }
    }

    /// <summary>Why a request with <paramref name="status"/> was refused, or null when it was not.</summary>
    public static string? Reason(int status) => status switch
    {
        StatusCodes.Status400BadRequest => "invalid",
        StatusCodes.Status401Unauthorized => "unauthenticated",
        StatusCodes.Status403Forbidden => "forbidden",
        StatusCodes.Status404NotFound => "not-found",
        StatusCodes.Status405MethodNotAllowed => "method-not-allowed",
        StatusCodes.Status406NotAcceptable => "not-acceptable",
        StatusCodes.Status409Conflict => "conflict",
        StatusCodes.Status413PayloadTooLarge => "too-large",
        StatusCodes.Status415UnsupportedMediaType => "unsupported-media-type",
        StatusCodes.Status429TooManyRequests => "rate-limited",
        StatusCodes.Status503ServiceUnavailable => "unavailable",
        >= 400 and < 500 => "other-client-error",
        _ => null,
    };

    [LoggerMessage(Level = LogLevel.Information, Message = "{Method} {Path} {StatusCode} in {ElapsedMilliseconds:0.0} ms")]
    private static partial void LogRequest(ILogger logger, string method, string path, int statusCode, double elapsedMilliseconds);
}

using System.Text.Json;
using System.Text.RegularExpressions;
using FluentValidation;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace ClaimStore.Api.Http;

/// <summary>
/// The one place where exceptions become problem details: validation failures and unreadable
/// bodies are 400 with field errors, oversized bodies 413, everything else 500 without internals.
/// </summary>
public sealed partial class ErrorMapping(IProblemDetailsService problems, ILogger<ErrorMapping> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var problem = Map(exception);
        if (problem.Status == StatusCodes.Status503ServiceUnavailable)
        {
            // An outage answers hundreds of requests this way: one line each, no stack trace.
            LogUnavailable(logger, httpContext.Request.Method, httpContext.Request.Path, exception.GetType().Name, exception.Message);
        }
        else if (problem.Status >= 500)
        {
            LogUnhandled(logger, exception, httpContext.Request.Method, httpContext.Request.Path);
        }

        httpContext.Response.StatusCode = problem.Status ?? 500;
        if (problem.Status == StatusCodes.Status503ServiceUnavailable)
        {
            httpContext.Response.Headers.RetryAfter = "1";
        }

        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            ProblemDetails = problem,
            Exception = exception,
        });
    }

    public static ProblemDetails Map(Exception exception) => exception switch
    {
        ValidationException validation => Validation(ValidationRules.ToErrors(validation.Errors)),
        BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } =>
            Problems.Create(StatusCodes.Status413PayloadTooLarge, "Request body too large", exception.Message),
        BadHttpRequestException { InnerException: JsonException json } => Validation(JsonErrors(json)),
        BadHttpRequestException bad when BindingFailure().Match(bad.Message) is { Success: true } m =>
            Validation(new Dictionary<string, string[]> { [m.Groups["name"].Value] = [$"'{m.Groups["value"].Value}' is not a valid value."] }),
        BadHttpRequestException bad => Problems.Create(bad.StatusCode, "Bad request", bad.Message),
        JsonException json => Validation(JsonErrors(json)),
        _ when IsUnavailable(exception) => Problems.Create(StatusCodes.Status503ServiceUnavailable, "Service unavailable",
            "The store could not be reached; the request may or may not have taken effect. Retrying it (with the same claimId) is safe."),
        ClaimStore.Storage.StreamVersionConflictException or ClaimStore.Storage.DuplicateEventIdException =>
            Problems.Create(StatusCodes.Status503ServiceUnavailable, "Service busy",
                "The actor's stream kept changing under this write; it was not recorded. Retrying it (with the same claimId) is safe."),
        ReadModel.ReadModelBehindException behind =>
            Problems.Create(StatusCodes.Status503ServiceUnavailable, "Read side catching up", behind.Message),
        Testing.ResetTimedOutException busy =>
            Problems.Create(StatusCodes.Status503ServiceUnavailable, "Actors still active", busy.Message),
        _ => Problems.Create(StatusCodes.Status500InternalServerError, "Internal server error",
            "The server failed to handle the request; it has been logged."),
    };

    // The database or the silo that owns the actor is out of reach: the client may retry (with the same claimId).
    private static bool IsUnavailable(Exception exception) => exception switch
    {
        _ when Storage.DatabaseFailures.IsDatabaseFailure(exception) => true,
        TimeoutException or Orleans.Runtime.SiloUnavailableException or Orleans.Runtime.OrleansMessageRejectionException => true,
        { InnerException: { } inner } => IsUnavailable(inner),
        _ => false,
    };

    /// <summary>An unreadable body, keyed by the JSON path where reading stopped.</summary>
    public static Dictionary<string, string[]> JsonErrors(JsonException json, string? prefix = null)
    {
        var path = json.Path is null or "$" ? "" : ValidationRules.CamelCasePath(json.Path.TrimStart('$').TrimStart('.'));
        var key = string.IsNullOrEmpty(prefix) ? (path.Length == 0 ? "body" : path) : (path.Length == 0 ? prefix : $"{prefix}.{path}");
        var message = json.Message.StartsWith("The JSON property", StringComparison.Ordinal)
            ? "Unknown field." // UnmappedMemberHandling.Disallow
            : json.Path is null or "$" ? "The body is not valid JSON for this request." : "Wrong type or format for this field.";
        return new() { [key] = [message] };
    }

    private static ValidationProblemDetails Validation(IDictionary<string, string[]> errors) => new(errors)
    {
        Status = StatusCodes.Status400BadRequest,
        Title = "One or more fields are invalid.",
    };

    // Minimal APIs word a query or route value they cannot convert like this: Failed to bind parameter "int? limit" from "abc".
    [GeneratedRegex("^Failed to bind parameter \"[^\"]*? (?<name>[A-Za-z0-9_]+)\" from \"(?<value>.*)\"\\.$")]
    private static partial Regex BindingFailure();

    [LoggerMessage(Level = LogLevel.Warning, Message = "503 on {Method} {Path}: {Exception}: {Reason}")]
    private static partial void LogUnavailable(ILogger logger, string method, string path, string exception, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Unhandled failure on {Method} {Path}")]
    private static partial void LogUnhandled(ILogger logger, Exception exception, string method, string path);
}

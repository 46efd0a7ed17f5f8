using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace ClaimStore.Api.Http;

/// <summary>The problem details the endpoints return for outcomes that are not exceptions.</summary>
public static class Problems
{
    public static NotFound<ProblemDetails> NotFound(string detail) =>
        TypedResults.NotFound(Create(StatusCodes.Status404NotFound, "Not found", detail));

    public static Conflict<ProblemDetails> Conflict(string detail) =>
        TypedResults.Conflict(Create(StatusCodes.Status409Conflict, "Conflict", detail));

    public static ValidationProblem Invalid(IDictionary<string, string[]> errors) =>
        TypedResults.ValidationProblem(errors, title: "One or more fields are invalid.");

    public static ProblemDetails Create(int status, string title, string detail) => new()
    {
        Status = status,
        Title = title,
        Detail = detail,
    };
}

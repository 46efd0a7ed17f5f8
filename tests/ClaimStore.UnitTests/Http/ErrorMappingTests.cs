using System.Text.Json;
using ClaimStore.Api.Claims;
using ClaimStore.Api.Http;
using FluentValidation;
using FluentValidation.Results;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace ClaimStore.UnitTests.Http;

public sealed class ErrorMappingTests
{
    [Theory]
    [InlineData("Quantity.Max", "quantity.max")]
    [InlineData("ReportedVia[2]", "reportedVia[2]")]
    [InlineData("Source.PublishedAt", "source.publishedAt")]
    [InlineData("actorId", "actorId")]
    public void CamelCasePath_PascalCaseMemberPath_BecomesClientFieldPath(string path, string expected)
    {
        Assert.Equal(expected, ValidationRules.CamelCasePath(path));
    }

    [Fact]
    public void Map_ValidationException_Is400WithFieldErrors()
    {
        var exception = new ValidationException([new ValidationFailure("Quantity.Max", "Must be at least min.")]);

        var problem = Assert.IsType<ValidationProblemDetails>(ErrorMapping.Map(exception));

        Assert.Equal(400, problem.Status);
        Assert.Equal(["Must be at least min."], problem.Errors["quantity.max"]);
    }

    [Fact]
    public void Map_WrongTypeInBody_IsKeyedByItsField()
    {
        var json = Assert.ThrowsAny<JsonException>(() =>
            JsonSerializer.Deserialize<ClaimInput>("""{"quantity": {"min": "ten"}}""", ApiJson.Options));

        var problem = Assert.IsType<ValidationProblemDetails>(ErrorMapping.Map(new BadHttpRequestException("bad", json)));

        Assert.Equal(["quantity.min"], problem.Errors.Keys);
    }

    [Fact]
    public void Map_UnknownField_IsReportedAsUnknown()
    {
        var json = Assert.ThrowsAny<JsonException>(() =>
            JsonSerializer.Deserialize<ClaimInput>("""{"subject": "a", "said": "x"}""", ApiJson.Options));

        var problem = Assert.IsType<ValidationProblemDetails>(ErrorMapping.Map(json));

        Assert.Equal(["Unknown field."], Assert.Single(problem.Errors).Value);
    }

    [Fact]
    public void Map_UnexpectedException_Is500WithoutInternals()
    {
        var problem = ErrorMapping.Map(new InvalidOperationException("connection string Password=secret"));

        Assert.Equal(500, problem.Status);
        Assert.DoesNotContain("secret", problem.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Map_DatabaseUnreachable_Is503()
    {
        var problem = ErrorMapping.Map(new InvalidOperationException("wrapped", new Npgsql.NpgsqlException("connection refused")));

        Assert.Equal(503, problem.Status);
    }

    public static TheoryData<Exception> NotRecordedRetrySafe => new()
    {
        new ClaimStore.Storage.StreamVersionConflictException("nato"),
        new ClaimStore.Storage.DuplicateEventIdException(new InvalidOperationException("23505")),
        new Orleans.Runtime.SiloUnavailableException("silo gone"),
        new TimeoutException("append"),
    };

    [Theory]
    [MemberData(nameof(NotRecordedRetrySafe))]
    public void Map_StoreConflictOrOutage_Is503ThatSaysARetryIsSafe(Exception exception)
    {
        var problem = ErrorMapping.Map(exception);

        Assert.Equal(503, problem.Status);
        Assert.Contains("Retrying it (with the same claimId) is safe.", problem.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Map_QueryValueThatDoesNotConvert_IsKeyedByParameter()
    {
        var bad = new BadHttpRequestException("Failed to bind parameter \"Nullable<int> limit\" from \"abc\".");

        var problem = Assert.IsType<ValidationProblemDetails>(ErrorMapping.Map(bad));

        Assert.Equal(["limit"], problem.Errors.Keys);
    }
}

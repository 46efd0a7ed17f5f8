using System.Text.Json.Nodes;
using ClaimStore.IntegrationTests.Infrastructure;
using ClaimStore.IntegrationTests.Telemetry;

namespace ClaimStore.IntegrationTests.Reference;

/// <summary>The OpenAPI document behind the reference page says what every operation does and takes.</summary>
[Collection(ApiCollection.Name)]
public sealed class OpenApiDocumentTests(ApiFixture fixture, TelemetryHost dashboardOn) : IClassFixture<TelemetryHost>
{
    private static readonly string[] Methods = ["get", "put", "post", "delete", "patch"];

    [Fact]
    public async Task OpenApiDocument_EveryOperation_HasSummaryParameterDescriptionsAndProblems()
    {
        var document = await (await fixture.CreateClient(apiKey: null).GetAsync("/openapi/v1.json")).JsonAsync();

        var operations = document["paths"]!.AsObject()
            .SelectMany(path => path.Value!.AsObject().Where(op => Methods.Contains(op.Key)).Select(op => (Name: $"{op.Key.ToUpperInvariant()} {path.Key}", Op: op.Value!)))
            .ToList();
        Assert.True(operations.Count >= 20, $"{operations.Count} operations");
        var gaps = new List<string>();
        foreach (var (name, op) in operations)
        {
            if (string.IsNullOrWhiteSpace((string?)op["summary"]) || string.IsNullOrWhiteSpace((string?)op["description"]))
            {
                gaps.Add($"{name}: no summary or description");
            }

            var parameters = op["parameters"]?.AsArray() ?? [];
            gaps.AddRange(parameters.Where(p => string.IsNullOrWhiteSpace((string?)p!["description"])).Select(p => $"{name}: parameter {p!["name"]} undescribed"));
            var responses = op["responses"]!.AsObject();
            if ((parameters.Count > 0 || op["requestBody"] is not null) && !responses.ContainsKey("400"))
            {
                gaps.Add($"{name}: no 400 problem");
            }

            if (op["requestBody"]?["content"] is JsonObject content && content.Any(c => c.Value?["example"] is null))
            {
                gaps.Add($"{name}: request body without an example");
            }

            gaps.AddRange(responses.Where(r => r.Key[0] is '4' or '5' && r.Value?["content"] is JsonObject types && !types.ContainsKey("application/problem+json"))
                .Select(r => $"{name}: {r.Key} is not a problem"));
        }

        Assert.Empty(gaps);
    }

    [Fact]
    public async Task OpenApiDocument_WithTheDashboardOn_LeavesItsInternalsOut()
    {
        await dashboardOn.StartAsync(fixture);
        Assert.Equal(System.Net.HttpStatusCode.OK, (await dashboardOn.Host.CreateClient(ApiFixture.AdminKey).GetAsync("/dashboard/")).StatusCode);

        var document = await (await dashboardOn.Host.CreateClient(apiKey: null).GetAsync("/openapi/v1.json")).JsonAsync();

        Assert.DoesNotContain(document["paths"]!.AsObject(), path => path.Key.StartsWith("/dashboard", StringComparison.Ordinal));
    }
}

using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ClaimStore.IntegrationTests.Infrastructure;

public static class HttpExtensions
{
    public static Task<HttpResponseMessage> PutJsonAsync(this HttpClient client, string path, object body) =>
        client.PutAsync(path, Json(body));

    public static Task<HttpResponseMessage> PostJsonAsync(this HttpClient client, string path, object body) =>
        client.PostAsync(path, Json(body));

    public static Task<HttpResponseMessage> PostRawAsync(this HttpClient client, string path, string body) =>
        client.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));

    public static async Task<JsonNode> JsonAsync(this HttpResponseMessage response) =>
        JsonNode.Parse(await response.Content.ReadAsStringAsync())
        ?? throw new InvalidDataException("Empty response body.");

    /// <summary>The field paths of a 400 problem's <c>errors</c> object.</summary>
    public static async Task<string[]> ErrorKeysAsync(this HttpResponseMessage response)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var errors = (await response.JsonAsync())["errors"]!.AsObject();
        return [.. errors.Select(e => e.Key).Order(StringComparer.Ordinal)];
    }

    public static async Task<string> RegisterAsync(this HttpClient client, string? actorId = null, string name = "NATO")
    {
        actorId ??= TestData.ActorId();
        var response = await client.PutJsonAsync($"/actors/{actorId}", new { name, kind = "alliance", aliases = new[] { "Allianz" } });
        response.EnsureSuccessStatusCode();
        return actorId;
    }

    /// <summary>The contract's example claim, as a mutable JSON object.</summary>
    public static JsonObject ExampleClaim(Guid? claimId = null) => new()
    {
        ["claimId"] = (claimId ?? Guid.NewGuid()).ToString(),
        ["subject"] = "china",
        ["predicate"] = "sends-drones-to",
        ["object"] = "russia",
        ["stance"] = "affirms",
        ["kind"] = "accusation",
        ["statedAt"] = "2024-12-04T00:00:00Z",
        ["quote"] = "China wird seinerseits von der Allianz beschuldigt, Drohnen nach Russland geschickt zu haben.",
        ["language"] = "de",
        ["source"] = new JsonObject
        {
            ["publisher"] = "AFP",
            ["url"] = "https://example.org/a",
            ["title"] = "Nato-Pressekonferenz",
            ["publishedAt"] = "2024-12-04T18:00:00Z",
        },
        ["reportedVia"] = new JsonArray("afp"),
        ["spokesperson"] = "mark-rutte",
        ["certainty"] = "certain",
        ["quantity"] = new JsonObject { ["min"] = 10000, ["max"] = 12000, ["unit"] = "soldiers" },
        ["confidence"] = 0.8,
    };

    private static StringContent Json(object body) =>
        new(body is JsonNode node ? node.ToJsonString() : JsonSerializer.Serialize(body, JsonSerializerOptions.Web),
            Encoding.UTF8, "application/json");
}

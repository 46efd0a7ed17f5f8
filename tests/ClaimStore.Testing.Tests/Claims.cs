using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace ClaimStore.Testing.Tests;

/// <summary>Claims and actors as a client sends them.</summary>
internal static class Claims
{
    public static string NewActor(string purpose) => $"{purpose}-{Guid.NewGuid():N}"[..(purpose.Length + 9)];

    public static object Claim(string actor, Guid? id = null) => new
    {
        actorId = actor,
        claimId = (id ?? Guid.NewGuid()).ToString(),
        subject = actor,
        predicate = "says",
        @object = "hello",
        stance = "affirms",
        statedAt = "2024-12-04T10:00:00Z",
    };

    public static async Task RegisterAsync(HttpClient client, string actor)
    {
        using var response = await client.PutAsJsonAsync($"actors/{actor}", new { name = actor, kind = "organisation" });
        Assert.True(response.IsSuccessStatusCode, $"PUT /actors/{actor}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    public static async Task<HttpStatusCode> PostAsync(HttpClient client, string actor, Guid id)
    {
        using var response = await client.PostAsJsonAsync($"actors/{actor}/claims", Claim(actor, id));
        return response.StatusCode;
    }

    public static async Task<JsonArray> ListAsync(HttpClient client, string path) =>
        (await client.GetFromJsonAsync<JsonNode>(path))!.AsArray();
}

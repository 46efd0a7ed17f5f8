using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace ClaimStore.Cli.Tests.Infrastructure;

/// <summary>
/// A small store with what makes exports hard: opposing stances, a self-reversal, incompatible
/// quantities, a retraction, a claim without object, sources, reporting chains and quotes with
/// „…“, commas, doubled quotes and line breaks.
/// </summary>
public static class Seed
{
    /// <summary>The actors with claims (afp only reports), so an export names them all.</summary>
    public static readonly string[] Actors = ["nato", "china", "russia", "the-west"];

    /// <summary>Instants to ask positions at: before, between and after the claims.</summary>
    public static readonly string[] AsOfTimes =
        ["2024-10-01T00:00:00Z", "2024-10-31T00:00:00Z", "2024-12-04T12:00:00Z", "2024-12-05T10:00:00Z", "2025-05-01T00:00:00Z"];

    public static async Task LoadAsync(HttpClient api)
    {
        await Register(api, "nato", "NATO", "alliance");
        await Register(api, "china", "China", "state");
        await Register(api, "russia", "Russia", "state");
        await Register(api, "the-west", "the West", "group");
        await Register(api, "afp", "Agence France-Presse", "media");

        JsonObject[] claims =
        [
            Claim("nato", "china", "sends-drones-to", "russia", "affirms", "2024-12-04T00:00:00Z", kind: "accusation",
                quote: "China wird seinerseits von der Allianz beschuldigt, „Drohnen“ nach Russland geschickt zu haben.", language: "de",
                source: new JsonObject { ["publisher"] = "AFP", ["url"] = "https://example.org/nato?x=1,2", ["title"] = "Nato, Drohnen, China", ["publishedAt"] = "2024-12-04T18:00:00+01:00" },
                reportedVia: ["afp"], spokesperson: "mark-rutte", confidence: 0.8),
            Claim("the-west", "china", "sends-drones-to", "russia", "affirms", "2024-12-03T00:00:00Z"),
            Claim("china", "china", "sends-drones-to", "russia", "denies", "2024-12-05T09:00:00Z", kind: "denial",
                quote: "„Wir liefern keine Drohnen“, sagte der Sprecher, \"niemals\",\nund schwieg.", language: "de"),
            Claim("russia", "north-korea", "sends-troops-to", "russia", "denies", "2024-10-24T00:00:00Z", kind: "denial"),
            Claim("russia", "north-korea", "sends-troops-to", "russia", "affirms", "2025-04-26T00:00:00Z"),
            Claim("nato", "north-korea", "sends-troops-to", "russia", "affirms", "2024-10-30T00:00:00Z", kind: "estimate",
                certainty: "probable", quantity: new JsonObject { ["min"] = 10000, ["max"] = 12000, ["unit"] = "soldiers" }),
            Claim("the-west", "north-korea", "sends-troops-to", "russia", "affirms", "2024-11-01T00:00:00Z",
                quantity: new JsonObject { ["min"] = 1000.5m, ["max"] = 3000, ["unit"] = "soldiers" }),
            Claim("russia", "nato", "destabilises", null, "affirms", "2024-12-01T00:00:00Z", kind: "warning", certainty: "possible",
                quote: "NATO may destabilise the region.", language: "en"),
            Claim("nato", "china", "sends-drones-to", "russia", "denies", "2024-12-10T00:00:00Z", reportedVia: ["afp", "the-west"]),
        ];
        var response = await api.PostAsJsonAsync("/claims/batch", new JsonObject { ["claims"] = new JsonArray(claims) });
        response.EnsureSuccessStatusCode();
        var results = (await response.Content.ReadFromJsonAsync<JsonObject>())!["results"]!.AsArray();
        Assert.All(results, r => Assert.Equal("created", (string?)r!["status"]));

        // Recorded, then retracted: no export carries it, so positions and contradictions stay the same.
        var retracted = Claim("china", "china", "sends-drones-to", "russia", "affirms", "2024-12-06T00:00:00Z");
        (await api.PostAsJsonAsync("/claims/batch", new JsonObject { ["claims"] = new JsonArray(retracted) })).EnsureSuccessStatusCode();
        (await api.PostAsJsonAsync($"/actors/china/claims/{retracted["claimId"]}/retraction", new { reason = "misattributed" })).EnsureSuccessStatusCode();
    }

    public static async Task Register(HttpClient api, string id, string name, string kind) =>
        (await api.PutAsJsonAsync($"/actors/{id}", new { name, kind, aliases = Array.Empty<string>() })).EnsureSuccessStatusCode();

    public static JsonObject Claim(
        string actorId, string subject, string predicate, string? @object, string stance, string statedAt,
        string? kind = null, string? quote = null, string? language = null, JsonObject? source = null,
        string[]? reportedVia = null, string? spokesperson = null, string? certainty = null, JsonObject? quantity = null,
        double? confidence = null)
    {
        var claim = new JsonObject
        {
            ["actorId"] = actorId, ["claimId"] = Guid.NewGuid().ToString(), ["subject"] = subject, ["predicate"] = predicate,
            ["stance"] = stance, ["statedAt"] = statedAt,
        };
        Set(claim, "object", @object);
        Set(claim, "kind", kind);
        Set(claim, "quote", quote);
        Set(claim, "language", language);
        Set(claim, "source", source);
        Set(claim, "reportedVia", reportedVia is null ? null : new JsonArray([.. reportedVia.Select(r => (JsonNode)r)]));
        Set(claim, "spokesperson", spokesperson);
        Set(claim, "certainty", certainty);
        Set(claim, "quantity", quantity);
        Set(claim, "confidence", confidence);
        return claim;
    }

    private static void Set(JsonObject claim, string name, JsonNode? value)
    {
        if (value is not null)
        {
            claim[name] = value;
        }
    }
}

using System.Text.Json.Nodes;

namespace ClaimStore.Cli.Tests.Infrastructure;

/// <summary>
/// What an analyst reads from a store, as one JSON text: actors' names and kinds, positions at several
/// instants, timelines, propositions, contradictions (ids included) and the live claims without the
/// store's own numbering (version, recordedAt).
/// </summary>
public static class StoreSnapshot
{
    public static async Task<string> TakeAsync(StoreHost host, IEnumerable<string> actors, IEnumerable<string> asOfTimes)
    {
        var snapshot = new JsonObject();
        foreach (var actor in actors)
        {
            var profile = await GetAsync(host, $"/actors/{actor}");
            snapshot[$"actor {actor}"] = new JsonObject { ["name"] = profile["name"]!.DeepClone(), ["kind"] = profile["kind"]!.DeepClone() };
            snapshot[$"positions {actor}"] = await GetAsync(host, $"/actors/{actor}/positions");
            foreach (var asOf in asOfTimes)
            {
                snapshot[$"positions {actor} asOf {asOf}"] = await GetAsync(host, $"/actors/{actor}/positions?asOf={asOf}");
            }

            snapshot[$"timeline {actor}"] = await GetAsync(host, $"/actors/{actor}/timeline");
            var claims = (await GetAsync(host, $"/actors/{actor}/claims")).AsArray()
                .OfType<JsonObject>().Where(c => (bool?)c["retracted"] != true)
                .Select(c =>
                {
                    var copy = c.DeepClone().AsObject();
                    copy.Remove("version");
                    copy.Remove("recordedAt");
                    return copy;
                })
                .OrderBy(c => (string?)c["claimId"], StringComparer.Ordinal);
            snapshot[$"claims {actor}"] = new JsonArray([.. claims]);
        }

        snapshot["propositions"] = await GetAsync(host, "/propositions");
        snapshot["contradictions"] = await GetAsync(host, "/contradictions");
        return snapshot.ToJsonString();
    }

    /// <summary>The target's snapshot once it equals <paramref name="expected"/>, or the last one after a while (the cross-actor read side follows the log).</summary>
    public static async Task<string> WhenEqualAsync(StoreHost host, string expected, IEnumerable<string> actors, IEnumerable<string> asOfTimes)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var actual = await TakeAsync(host, actors, asOfTimes);
            if (actual == expected || DateTime.UtcNow > deadline)
            {
                return actual;
            }

            await Task.Delay(200);
        }
    }

    private static async Task<JsonNode> GetAsync(StoreHost host, string path)
    {
        var response = await host.Api.GetAsync(path);
        response.EnsureSuccessStatusCode();
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }
}

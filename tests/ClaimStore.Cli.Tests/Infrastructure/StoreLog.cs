using System.Net.Http.Headers;
using System.Text.Json.Nodes;

namespace ClaimStore.Cli.Tests.Infrastructure;

/// <summary>The store's whole global log, read over the API, to count what an import really appended.</summary>
public static class StoreLog
{
    public static async Task<List<JsonObject>> ReadAsync(StoreHost host)
    {
        var events = new List<JsonObject>();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/events?afterSequence=0");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/x-ndjson"));
        using var response = await host.Api.SendAsync(request);
        response.EnsureSuccessStatusCode();
        foreach (var line in (await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            events.Add(JsonNode.Parse(line)!.AsObject());
        }

        return events;
    }

    public static async Task<List<string>> RecordedClaimIdsAsync(StoreHost host) =>
        [.. (await ReadAsync(host)).Where(e => (string?)e["type"] == "ClaimRecorded").Select(e => (string)e["data"]!["claimId"]!)];
}

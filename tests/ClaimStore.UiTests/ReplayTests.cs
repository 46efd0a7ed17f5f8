using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ClaimStore.UiTests.Infrastructure;
using Microsoft.Playwright;

namespace ClaimStore.UiTests;

/// <summary>The replay shows the record as it stood at each step, not today's record cut back to the step.</summary>
[Collection(WorkbenchCollection.Name)]
public sealed class ReplayTests(WorkbenchFixture fixture)
{
    [Fact]
    public async Task Replay_ContradictionWithdrawnLater_ListedOpenUntilTheRetractionStep()
    {
        using var api = fixture.Api();
        var subject = $"replay-{Guid.NewGuid():N}"[..20];
        foreach (var actor in new[] { $"{subject}-a", $"{subject}-b" })
        {
            (await api.PutAsJsonAsync($"/actors/{actor}", new { name = actor, kind = "organisation" })).EnsureSuccessStatusCode();
        }

        var accusation = await RecordAsync(api, $"{subject}-a", subject, "affirms");
        var denial = await RecordAsync(api, $"{subject}-b", subject, "denies");
        (await api.PostAsJsonAsync($"/actors/{subject}-a/claims/{accusation}/retraction", new { reason = "misattributed" })).EnsureSuccessStatusCode();
        var sequences = await SequencesAsync(api, accusation, denial);
        var context = await fixture.NewSessionAsync(WorkbenchFixture.ReaderKey, 1280);
        var page = await context.NewPageAsync();
        var contradictions = page.GetByRole(AriaRole.Region, new() { Name = "Replay" }).Locator("li").Filter(new() { HasText = $"{subject}:" });

        await page.GotoAsync($"/ui/history?afterSequence=0&step={sequences.Denial}");
        await Expect(contradictions).ToHaveCountAsync(1);
        await Expect(contradictions).ToContainTextAsync("open");
        await Expect(contradictions).ToContainTextAsync("opened by this event");
        await page.GotoAsync($"/ui/history?afterSequence=0&step={sequences.Retraction}");
        await Expect(page.GetByRole(AriaRole.Status).Filter(new() { HasText = $"Event {sequences.Retraction} of" })).ToBeVisibleAsync();
        await Expect(contradictions).ToHaveCountAsync(0);
    }

    private static async Task<string> RecordAsync(HttpClient api, string actor, string subject, string stance)
    {
        var response = await api.PostAsJsonAsync($"/actors/{actor}/claims", new
        {
            subject, predicate = "supplies-arms-to", @object = "russia", stance, kind = stance == "denies" ? "denial" : "accusation",
            statedAt = "2024-11-01T00:00:00Z", quote = "Replay test.", language = "en",
        });
        response.EnsureSuccessStatusCode();
        return (string)(await response.Content.ReadFromJsonAsync<JsonObject>())!["claimId"]!;
    }

    /// <summary>The log sequences of the denial and of the retraction.</summary>
    private static async Task<(long Denial, long Retraction)> SequencesAsync(HttpClient api, string accusation, string denial)
    {
        long after = 0, denialAt = 0, retractionAt = 0;
        while (true)
        {
            var page = (await api.GetFromJsonAsync<JsonObject>($"/events?afterSequence={after}&limit=1000"))!;
            var events = page["events"]!.AsArray();
            foreach (var e in events)
            {
                var id = (string?)e!["data"]?["claimId"];
                (denialAt, retractionAt) = ((string)e["type"]!, id) switch
                {
                    ("ClaimRecorded", var c) when c == denial => ((long)e["sequence"]!, retractionAt),
                    ("ClaimRetracted", var c) when c == accusation => (denialAt, (long)e["sequence"]!),
                    _ => (denialAt, retractionAt),
                };
            }

            if (events.Count < 1000)
            {
                return (denialAt, retractionAt);
            }

            after = (long)page["nextAfterSequence"]!;
        }
    }
}

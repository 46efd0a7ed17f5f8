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
        var subject = await NewSubjectAsync(api, "a", "b");

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
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "This proposition's contradictions now (0)" })).ToBeVisibleAsync();
        await page.GotoAsync($"/ui/history?afterSequence=0&step={sequences.Retraction}");
        await Expect(page.GetByRole(AriaRole.Status).Filter(new() { HasText = $"Event {sequences.Retraction} of" })).ToBeVisibleAsync();
        await Expect(contradictions).ToHaveCountAsync(1);
        await Expect(contradictions).ToContainTextAsync("withdrawn by this event");
        await Expect(contradictions).Not.ToContainTextAsync("open");
    }

    [Fact]
    public async Task Replay_StepOnAnotherProposition_ShowsOnlyThatPropositionsContradictions()
    {
        using var api = fixture.Api();
        var subject = await NewSubjectAsync(api, "a", "b");

        await RecordAsync(api, $"{subject}-a", subject, "affirms");
        await RecordAsync(api, $"{subject}-b", subject, "denies");
        var unrelated = await RecordAsync(api, $"{subject}-b", $"{subject}-other", "affirms");
        var sequence = await SequenceOfAsync(api, $"{subject}-b", unrelated);
        var context = await fixture.NewSessionAsync(WorkbenchFixture.ReaderKey, 1280);
        var page = await context.NewPageAsync();
        var replay = page.GetByRole(AriaRole.Region, new() { Name = "Replay" });

        await page.GotoAsync($"/ui/history?afterSequence=0&step={sequence}");
        await Expect(replay.GetByRole(AriaRole.Heading, new() { Name = $"Contradictions on {subject}-other:supplies-arms-to:russia then (0)" })).ToBeVisibleAsync();
        await Expect(replay.Locator("li").Filter(new() { HasText = $"{subject}:" })).ToHaveCountAsync(0);
        await Expect(replay.GetByRole(AriaRole.Link, new() { Name = "This proposition's contradictions now (0)" }))
            .ToHaveAttributeAsync("href", $"/ui/contradictions?propositionKey={subject}-other%3Asupplies-arms-to%3Arussia");
    }

    [Fact]
    public async Task Replay_StepPastTheLogsEnd_ShowsTheLastEvent()
    {
        using var api = fixture.Api();
        var subject = await NewSubjectAsync(api, "a");
        var claim = await RecordAsync(api, $"{subject}-a", subject, "affirms");
        var sequence = await SequenceOfAsync(api, $"{subject}-a", claim);
        var context = await fixture.NewSessionAsync(WorkbenchFixture.ReaderKey, 1280);
        var page = await context.NewPageAsync();

        // A step with no event of its own shows the last event before it.
        await page.GotoAsync($"/ui/history?afterSequence=0&step={sequence + 1_000_000}");
        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync($"of {sequence}");
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Next event" })).ToHaveCountAsync(0);
    }

    /// <summary>A subject no other test uses, and its actors, registered as <c>{subject}-{suffix}</c>.</summary>
    private static async Task<string> NewSubjectAsync(HttpClient api, params string[] suffixes)
    {
        var subject = $"replay-{Guid.NewGuid():N}"[..20];
        foreach (var actor in suffixes.Select(s => $"{subject}-{s}"))
        {
            (await api.PutAsJsonAsync($"/actors/{actor}", new { name = actor, kind = "organisation" })).EnsureSuccessStatusCode();
        }

        return subject;
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

    /// <summary>The log sequence of the event that recorded <paramref name="claimId"/>.</summary>
    private static async Task<long> SequenceOfAsync(HttpClient api, string actorId, string claimId)
    {
        var events = await api.GetFromJsonAsync<JsonArray>($"/actors/{actorId}/events");
        return (long)events!.Single(e => (string?)e!["data"]?["claimId"] == claimId && (string)e["type"]! == "ClaimRecorded")!["sequence"]!;
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

using ClaimStore.Api.Feeds;
using ClaimStore.UiTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace ClaimStore.UiTests;

/// <summary>The overview and the contradictions page follow the live feeds: no reload.</summary>
[Collection(WorkbenchCollection.Name)]
public sealed class LiveTests(WorkbenchFixture fixture)
{
    [Fact]
    public async Task ClaimPostedOverHttp_AppearsOnAnOpenContradictionsPageWithin2sWithoutAReload()
    {
        var predicate = $"tests-live-{Guid.NewGuid():N}"[..24];
        using var api = fixture.Api();
        await WorkbenchFixture.PostAsync(api, "nato", Claim(predicate, "affirms", "„Es gibt Beweise.“"));
        var context = await fixture.NewSessionAsync();
        var page = await context.NewPageAsync();
        await page.GotoAsync("/ui/contradictions");
        await page.EvaluateAsync("() => { window.notReloaded = true; }");
        await WaitForFollowersAsync();

        await WorkbenchFixture.PostAsync(api, "china", Claim(predicate, "denies", "„Das ist eine Lüge.“"));

        var card = page.GetByRole(AriaRole.Article, new() { Name = $"china:{predicate}:russia, china vs nato" });
        await Expect(card).ToBeVisibleAsync(new() { Timeout = 2000 });
        await Expect(card).ToContainTextAsync("„Das ist eine Lüge.“");
        Assert.True(await page.EvaluateAsync<bool>("() => window.notReloaded === true"));
        await Expect(page.GetByRole(AriaRole.Status).Filter(new() { HasText = "Live: updated" })).ToBeVisibleAsync();
    }

    [Fact]
    public async Task ClaimPostedOverHttp_AppearsOnTheOverviewWithoutAReload()
    {
        var predicate = $"tests-overview-{Guid.NewGuid():N}"[..28];
        using var api = fixture.Api();
        var context = await fixture.NewSessionAsync();
        var page = await context.NewPageAsync();
        await page.GotoAsync("/");
        await page.EvaluateAsync("() => { window.notReloaded = true; }");
        await WaitForFollowersAsync();

        await WorkbenchFixture.PostAsync(api, "the-west", Claim(predicate, "affirms", "Ein neuer Vorwurf.") with { StatedAt = "2026-06-01T00:00:00Z" });

        await Expect(page.GetByText("Ein neuer Vorwurf.")).ToBeVisibleAsync(new() { Timeout = 2000 });
        Assert.True(await page.EvaluateAsync<bool>("() => window.notReloaded === true"));
    }

    private async Task WaitForFollowersAsync()
    {
        var feed = fixture.Services.GetRequiredService<ContradictionFeed>();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (feed.Followers == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        Assert.True(feed.Followers > 0, "The page's script did not follow /contradictions/stream.");
    }

    private static LiveClaim Claim(string predicate, string stance, string quote) =>
        new("china", predicate, "russia", stance, "2024-12-06T00:00:00Z", quote, "de");

    private sealed record LiveClaim(string Subject, string Predicate, string Object, string Stance, string StatedAt, string Quote, string Language);
}

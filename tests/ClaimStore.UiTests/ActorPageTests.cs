using ClaimStore.UiTests.Infrastructure;
using Microsoft.Playwright;

namespace ClaimStore.UiTests;

/// <summary>The actor page's pickers redraw it as the record stood then.</summary>
[Collection(WorkbenchCollection.Name)]
public sealed class ActorPageTests(WorkbenchFixture fixture)
{
    [Fact]
    public async Task AsOfPicker_BeforeTheClaims_ShowsNoPositionsAndMarksTheTimeline()
    {
        var context = await fixture.NewSessionAsync();
        var page = await context.NewPageAsync();
        await page.GotoAsync("/ui/actors/nato");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Current positions" })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Row, new() { Name = "china:sends-drones-to:russia" })).ToBeVisibleAsync();

        await page.GetByLabel("As of (valid time, UTC)").FillAsync("2024-12-01T12:00");
        await page.GetByRole(AriaRole.Button, new() { Name = "Show" }).ClickAsync();

        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Positions as of 2024-12-01 12:00 UTC" })).ToBeVisibleAsync();
        await Expect(page.GetByText("No positions held.")).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Row, new() { Name = "china:sends-drones-to:russia" })).ToHaveCountAsync(0);
        await Expect(page.GetByLabel("As of (valid time, UTC)")).ToHaveValueAsync("2024-12-01T12:00");
    }

    [Fact]
    public async Task AsOfPicker_BetweenTwoEstimates_ShowsTheQuantityHeldThen()
    {
        var context = await fixture.NewSessionAsync();
        var page = await context.NewPageAsync();
        await page.GotoAsync("/ui/actors/nato?asOf=2024-12-05T00:00");
        var row = page.GetByRole(AriaRole.Row, new() { Name = "north-korea:sends-troops-to:russia" });
        await Expect(row).ToBeVisibleAsync();
        await Expect(row).Not.ToContainTextAsync("3,000 soldiers");

        await page.GetByLabel("As of (valid time, UTC)").FillAsync("2024-12-11T00:00");
        await page.GetByRole(AriaRole.Button, new() { Name = "Show" }).ClickAsync();

        await Expect(page.GetByRole(AriaRole.Row, new() { Name = "north-korea:sends-troops-to:russia" })).ToContainTextAsync("3,000 soldiers");
    }

    [Fact]
    public async Task KnownAtPicker_BeforeTheSampleWasRecorded_ShowsNothingKnown()
    {
        var context = await fixture.NewSessionAsync();
        var page = await context.NewPageAsync();
        await page.GotoAsync("/ui/actors/nato?knownAt=2020-01-01T00:00");

        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Positions as known at 2020-01-01 00:00 UTC" })).ToBeVisibleAsync();
        await Expect(page.GetByText("No positions held.")).ToBeVisibleAsync();
        await Expect(page.GetByText("No live claims known then.")).ToBeVisibleAsync();
    }
}

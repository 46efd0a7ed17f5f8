using System.Text.RegularExpressions;
using ClaimStore.UiTests.Infrastructure;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace ClaimStore.UiTests;

/// <summary>Every page renders the sample as a person finds it, at 1280 and at 390 px, screenshotted into docs/ui/.</summary>
[Collection(WorkbenchCollection.Name)]
public sealed partial class PageTests(WorkbenchFixture fixture, ITestOutputHelper output)
{
    public const int MaxPageBytes = 200 * 1024;

    public static TheoryData<int> Widths => new() { 1280, 390 };

    /// <summary>The pages, with the path each is opened at (the replay a few steps in).</summary>
    public static readonly (string Name, string Path)[] Pages =
    [
        ("overview", "/"),
        ("actor", "/ui/actors/nato"),
        ("proposition", "/ui/propositions/china:sends-drones-to:russia"),
        ("contradictions", "/ui/contradictions"),
        ("history", "/ui/history?afterSequence=0&step=12"),
        ("search", "/ui/search?q=Drohnen"),
    ];

    [Theory]
    [MemberData(nameof(Widths))]
    public async Task Overview_ShowsActorsOpenContradictionsRecentClaimsAndSearch(int width)
    {
        var page = await OpenAsync("/", width);

        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Overview", Exact = true })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "NATO", Exact = true })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Row, new() { Name = "Agence France-Presse" })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Open contradictions" })).ToContainTextAsync("(");
        await Expect(page.GetByRole(AriaRole.Searchbox, new() { Name = "Search claims" })).ToBeVisibleAsync();
        await Expect(page.GetByText("„Wir liefern keine Drohnen.“").First).ToBeVisibleAsync();
        await Screenshots.TakeAsync(page, "overview", width);
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public async Task Actor_ShowsProfilePositionsAndAStanceTimelinePerProposition(int width)
    {
        var page = await OpenAsync("/ui/actors/nato", width);

        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "NATO", Exact = true })).ToBeVisibleAsync();
        await Expect(page.GetByText("Nordatlantikpakt-Organisation")).ToBeVisibleAsync();
        var positions = page.GetByRole(AriaRole.Table).First;
        await Expect(positions.GetByRole(AriaRole.Row, new() { Name = "china:sends-drones-to:russia" })).ToContainTextAsync("affirms");
        // One lane per proposition, described for screen readers, with the quantity NATO gave later.
        await Expect(page.GetByRole(AriaRole.Img, new() { Name = "china:sends-drones-to:russia: affirms: from 2024-12-04, still held" })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Img, new() { Name = "north-korea:sends-troops-to:russia:" })).ToHaveAttributeAsync("aria-label", new Regex("3,000 soldiers: from 2024-12-10"));
        await Expect(page.GetByLabel("As of (valid time, UTC)")).ToBeVisibleAsync();
        await Expect(page.GetByLabel("Known at (record time, UTC)")).ToBeVisibleAsync();
        await Screenshots.TakeAsync(page, "actor", width);
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public async Task Proposition_ShowsOneLanePerActorWithTheQuotes(int width)
    {
        var page = await OpenAsync("/ui/propositions/china:sends-drones-to:russia", width);

        await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToContainTextAsync("china:sends-drones-to:russia");
        foreach (var actor in new[] { "china", "nato", "the-west" })
        {
            await Expect(page.GetByRole(AriaRole.Img, new() { Name = $"{actor}:" })).ToBeVisibleAsync();
        }

        await Expect(page.GetByRole(AriaRole.Img, new() { Name = "china:" })).ToHaveAttributeAsync("aria-label", new Regex("denies"));
        await Expect(page.GetByText("„Wir liefern keine Drohnen.“")).ToBeVisibleAsync();
        await Expect(page.GetByText("China wird seinerseits von der Allianz beschuldigt", new() { Exact = false })).ToBeVisibleAsync();
        await Screenshots.TakeAsync(page, "proposition", width);
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public async Task Contradictions_ListsEachWithItsPeriodBothClaimsQuotesAndSources(int width)
    {
        var page = await OpenAsync("/ui/contradictions", width);

        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Contradictions", Exact = true })).ToBeVisibleAsync();
        var china = page.GetByRole(AriaRole.Article, new() { Name = "china:sends-drones-to:russia, china vs nato" });
        await Expect(china).ToContainTextAsync("„Wir liefern keine Drohnen.“");
        await Expect(china).ToContainTextAsync("China wird seinerseits von der Allianz beschuldigt");
        await Expect(china).ToContainTextAsync("Source: Krieg in der Ukraine: NATO-Pressekonferenz");
        await Expect(china).ToContainTextAsync("Source: Außenministerium weist Vorwürfe zurück (Xinhua)");
        await Expect(page.GetByRole(AriaRole.Img, new() { Name = "china:sends-drones-to:russia, china vs nato, opposing-stances: from 2024-12-05 open to today" })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Article).Filter(new() { HasText = "self-reversal between donald-trump" })).ToBeVisibleAsync();
        await Screenshots.TakeAsync(page, "contradictions", width);

        await page.GetByLabel("Kind").SelectOptionAsync("self-reversal");
        await page.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Article)).ToHaveCountAsync(1);
        await Expect(page.GetByRole(AriaRole.Article)).ToContainTextAsync("donald-trump");
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public async Task History_PagesTheLogAndReplaysItStepByStep(int width)
    {
        var page = await OpenAsync("/ui/history", width);

        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "History", Exact = true })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Row, new() { Name = "ActorRegistered" }).First).ToBeVisibleAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "Start replay" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status).Filter(new() { HasText = "Event 1 of" })).ToBeVisibleAsync();
        await page.GotoAsync("/ui/history?afterSequence=0&step=12");
        await page.GetByRole(AriaRole.Link, new() { Name = "Next event" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status).Filter(new() { HasText = "Event 13 of" })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Positions of" })).ToBeVisibleAsync();
        await Screenshots.TakeAsync(page, "history", width);
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public async Task Search_HighlightsTheMatchesInflectionsIncluded(int width)
    {
        var page = await OpenAsync("/", width);
        await page.GetByRole(AriaRole.Searchbox, new() { Name = "Search claims" }).FillAsync("Drohne");
        await page.GetByRole(AriaRole.Searchbox, new() { Name = "Search claims" }).PressAsync("Enter");

        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Search claims" })).ToBeVisibleAsync();
        await Expect(page.Locator("mark").Filter(new() { HasText = "Drohnen" }).First).ToBeVisibleAsync();
        await Expect(page.GetByText("„Wir liefern keine Drohnen.“")).ToBeVisibleAsync();
        await Screenshots.TakeAsync(page, "search", width);
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public async Task KeyForm_IsWhereAPageSendsABrowserWithoutAKey(int width)
    {
        var page = await OpenAsync("/ui/contradictions", width, apiKey: null);

        await Expect(page).ToHaveURLAsync(new Regex("/ui/key\\?returnUrl="));
        await Expect(page.GetByLabel("API key")).ToBeVisibleAsync();
        await Screenshots.TakeAsync(page, "key", width);
    }

    [Fact]
    public async Task EveryPage_WithItsStylesheetAndScript_IsUnder200KB()
    {
        using var api = fixture.Api(WorkbenchFixture.WriterKey);
        var css = (await api.GetByteArrayAsync(AssetUrl(await api.GetStringAsync("/"), "css"))).Length;
        var js = (await api.GetByteArrayAsync(AssetUrl(await api.GetStringAsync("/"), "js"))).Length;
        output.WriteLine($"stylesheet {css:N0} B, script {js:N0} B");
        foreach (var (name, path) in Pages)
        {
            var html = (await api.GetByteArrayAsync(path)).Length;
            output.WriteLine($"{name,-15} {path,-50} page {html,8:N0} B, with stylesheet and script {html + css + js,8:N0} B");
            Assert.True(html + css + js < MaxPageBytes, $"{path}: {html + css + js} bytes");
        }
    }

    private async Task<IPage> OpenAsync(string path, int width, string? apiKey = WorkbenchFixture.WriterKey)
    {
        var context = await fixture.NewSessionAsync(apiKey, width);
        var page = await context.NewPageAsync();
        var response = await page.GotoAsync(path);
        Assert.True(response?.Ok, $"{path}: {response?.Status}");
        return page;
    }

    private static string AssetUrl(string html, string extension) =>
        AssetPattern().Matches(html).Select(m => m.Groups[1].Value).Single(u => u.Contains($".{extension}?", StringComparison.Ordinal));

    [GeneratedRegex("(?:href|src)=\"(/ui/assets/[^\"]+)\"")]
    private static partial Regex AssetPattern();
}

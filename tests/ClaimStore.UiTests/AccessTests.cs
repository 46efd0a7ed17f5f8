using System.Text.RegularExpressions;
using ClaimStore.UiTests.Infrastructure;
using Microsoft.Playwright;

namespace ClaimStore.UiTests;

/// <summary>The key is asked for once per browser session, and a page shows only what the key's role allows.</summary>
[Collection(WorkbenchCollection.Name)]
public sealed class AccessTests(WorkbenchFixture fixture)
{
    [Fact]
    public async Task ReaderKey_SeesNoWriteControl()
    {
        var context = await fixture.NewSessionAsync(WorkbenchFixture.ReaderKey);
        var page = await context.NewPageAsync();

        foreach (var (_, path) in PageTests.Pages)
        {
            await page.GotoAsync(path);
            await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToBeVisibleAsync();
            await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Record claim" })).ToHaveCountAsync(0);
            await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Record a claim" })).ToHaveCountAsync(0);
        }

        await Expect(page.GetByText("Key: analyst (reader)")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task WriterKey_RecordsAClaimFromTheActorPage()
    {
        var context = await fixture.NewSessionAsync(WorkbenchFixture.WriterKey);
        var page = await context.NewPageAsync();
        await page.GotoAsync("/ui/actors/afp");
        var predicate = $"reports-{Guid.NewGuid():N}"[..16];

        await page.GetByLabel("Subject").FillAsync("nato");
        await page.GetByLabel("Predicate").FillAsync(predicate);
        await page.GetByLabel("Stated at (UTC)").FillAsync("2024-12-04T18:00");
        await page.GetByLabel("Quote").FillAsync("„Die Allianz warnt.“");
        await page.GetByLabel("Language").FillAsync("de");
        await page.GetByRole(AriaRole.Button, new() { Name = "Record claim" }).ClickAsync();

        await Expect(page.GetByRole(AriaRole.Status).Filter(new() { HasText = "Recorded as version" })).ToBeVisibleAsync();
        await page.ReloadAsync();
        await Expect(page.GetByRole(AriaRole.Row, new() { Name = $"nato:{predicate}" })).ToBeVisibleAsync();
        await Expect(page.GetByText("„Die Allianz warnt.“")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task KeyForm_AsksOnceThenEveryPageOpens()
    {
        var context = await fixture.NewSessionAsync(apiKey: null);
        var page = await context.NewPageAsync();
        await page.GotoAsync("/ui/actors/nato");
        await Expect(page).ToHaveURLAsync(new Regex("/ui/key"));

        await page.GetByLabel("API key").FillAsync("not-a-key");
        await page.GetByRole(AriaRole.Button, new() { Name = "Use this key" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("not known");

        await page.GetByLabel("API key").FillAsync(WorkbenchFixture.ReaderKey);
        await page.GetByRole(AriaRole.Button, new() { Name = "Use this key" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex("/ui/actors/nato$"));
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "NATO", Exact = true })).ToBeVisibleAsync();

        await page.GetByRole(AriaRole.Link, new() { Name = "Contradictions", Exact = true }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Contradictions", Exact = true })).ToBeVisibleAsync();

        await page.GetByRole(AriaRole.Button, new() { Name = "Forget key" }).ClickAsync();
        await page.GotoAsync("/");
        await Expect(page).ToHaveURLAsync(new Regex("/ui/key"));
    }

    [Fact]
    public async Task SessionCookie_DoesNotAuthorizeAWrite()
    {
        using var client = new HttpClient { BaseAddress = fixture.BaseAddress };
        client.DefaultRequestHeaders.Add("Cookie", $"ClaimStore-Key={WorkbenchFixture.WriterKey}");

        var read = await client.GetAsync("/actors");
        var write = await client.PutAsync("/actors/cookie-writer",
            new StringContent("""{"name":"X","kind":"person"}""", System.Text.Encoding.UTF8, "application/json"));

        Assert.True(read.IsSuccessStatusCode);
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, write.StatusCode);
    }
}

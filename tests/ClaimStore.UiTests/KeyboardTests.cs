using ClaimStore.UiTests.Infrastructure;

namespace ClaimStore.UiTests;

/// <summary>Every control of every page is reached with the Tab key, in a visible order.</summary>
[Collection(WorkbenchCollection.Name)]
public sealed class KeyboardTests(WorkbenchFixture fixture)
{
    private const string MarkControls = """
        () => {
          const controls = [...document.querySelectorAll('a[href], button, input:not([type=hidden]), select, textarea, [tabindex]:not([tabindex="-1"])')]
            .filter(e => !e.disabled && e.getClientRects().length > 0 && getComputedStyle(e).visibility !== 'hidden');
          controls.forEach((e, i) => e.setAttribute('data-control', String(i)));
          return controls.length;
        }
        """;

    public static TheoryData<string> Paths => new()
    {
        "/", "/ui/actors/nato", "/ui/propositions/china:sends-drones-to:russia", "/ui/contradictions",
        "/ui/history?afterSequence=0&step=12", "/ui/search?q=Drohnen",
    };

    [Theory]
    [MemberData(nameof(Paths))]
    public async Task Tab_ReachesEveryControl(string path)
    {
        var context = await fixture.NewSessionAsync(WorkbenchFixture.WriterKey);
        var page = await context.NewPageAsync();
        await page.GotoAsync(path);
        var count = await page.EvaluateAsync<int>(MarkControls);
        var reached = new HashSet<string>();

        // A date picker takes one Tab stop per part (day, month, year, hours, minutes).
        for (var i = 0; i < (count * 2) + 40 && reached.Count < count; i++)
        {
            await page.Keyboard.PressAsync("Tab");
            var control = await page.EvaluateAsync<string?>("() => document.activeElement?.getAttribute('data-control') ?? null");
            if (control is not null)
            {
                reached.Add(control);
            }
        }

        var missed = await page.EvaluateAsync<string[]>(
            "reached => [...document.querySelectorAll('[data-control]')].filter(e => !reached.includes(e.getAttribute('data-control'))).map(e => e.outerHTML.slice(0, 120))",
            reached.ToArray());
        Assert.True(count > 0);
        Assert.Empty(missed);
    }
}

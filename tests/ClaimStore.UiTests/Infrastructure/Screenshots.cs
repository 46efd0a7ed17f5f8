using Microsoft.Playwright;

namespace ClaimStore.UiTests.Infrastructure;

/// <summary>Screenshots the tests take into <c>docs/ui/</c> of the checkout, shown in the README.</summary>
public static class Screenshots
{
    public static string Directory { get; } = Path.Combine(FindCheckoutRoot(), "docs", "ui");

    /// <summary>The window as a person sees it on opening the page (not the full page: the files stay small).</summary>
    public static async Task TakeAsync(IPage page, string name, int width)
    {
        System.IO.Directory.CreateDirectory(Directory);
        await page.ScreenshotAsync(new PageScreenshotOptions
        {
            Path = Path.Combine(Directory, $"{name}-{width}.png"),
            FullPage = false,
            Animations = ScreenshotAnimations.Disabled,
        });
    }

    private static string FindCheckoutRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ClaimStore.sln")))
            {
                return dir.FullName;
            }
        }

        return Path.GetTempPath();
    }
}

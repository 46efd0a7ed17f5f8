using System.Security.Cryptography;

namespace ClaimStore.Api.Ui;

/// <summary>
/// The stylesheet and the script, embedded in the host and served with a content hash in their URLs, so a
/// browser may keep them for a year and still gets a new build's at once.
/// </summary>
internal static class WorkbenchAssets
{
    private static readonly Asset Stylesheet = Asset.Load("workbench.css", "text/css; charset=utf-8");
    private static readonly Asset Script = Asset.Load("workbench.js", "text/javascript; charset=utf-8");

    public static string StylesheetUrl => Stylesheet.Url;

    public static string ScriptUrl => Script.Url;

    public static void Map(WebApplication app)
    {
        foreach (var asset in new[] { Stylesheet, Script })
        {
            app.MapGet($"/ui/assets/{asset.Name}", (HttpContext context) =>
                {
                    context.Response.Headers.CacheControl = "public, max-age=31536000, immutable";
                    return Results.Bytes(asset.Bytes, asset.ContentType);
                })
                .AllowAnonymous()
                .ExcludeFromDescription();
        }
    }

    private sealed record Asset(string Name, string ContentType, byte[] Bytes, string Url)
    {
        public static Asset Load(string name, string contentType)
        {
            using var stream = typeof(WorkbenchAssets).Assembly.GetManifestResourceStream($"ClaimStore.Api.Ui.Assets.{name}")
                ?? throw new InvalidOperationException($"The workbench asset {name} is not embedded in the host.");
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            var bytes = buffer.ToArray();
            var version = Convert.ToHexStringLower(SHA256.HashData(bytes))[..12];
            return new Asset(name, contentType, bytes, $"/ui/assets/{name}?v={version}");
        }
    }
}

using System.CommandLine;

namespace ClaimStore.Cli.Connection;

/// <summary>The options every command takes, declared once and inherited by each subcommand.</summary>
internal static class CommonOptions
{
    public const string UrlVariable = "CLAIMSTORE_URL";
    public const string ApiKeyVariable = "CLAIMSTORE_API_KEY";
    public const string DefaultUrl = "http://localhost:5080";

    public static readonly Option<string> Url = new("--url")
    {
        Description = $"The ClaimStore host (default: ${UrlVariable}, else {DefaultUrl}).",
        Recursive = true,
    };

    public static readonly Option<string> ApiKey = new("--api-key")
    {
        Description = $"API key sent as X-Api-Key (default: ${ApiKeyVariable}).",
        Recursive = true,
    };

    public static readonly Option<bool> Json = new("--json")
    {
        Description = "Machine-readable JSON on standard output instead of tables.",
        Recursive = true,
    };

    public static ClaimStoreClient Client(ParseResult parse)
    {
        var url = parse.GetValue(Url) ?? Environment.GetEnvironmentVariable(UrlVariable);
        if (string.IsNullOrWhiteSpace(url))
        {
            url = DefaultUrl;
        }

        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw new CliException(ExitCodes.Usage, $"--url must be an absolute http or https URL, not '{url}'.");
        }

        var key = parse.GetValue(ApiKey) ?? Environment.GetEnvironmentVariable(ApiKeyVariable);
        return new ClaimStoreClient(uri, string.IsNullOrWhiteSpace(key) ? null : key);
    }
}

namespace ClaimStore.Cli.Output;

/// <summary>A query string from the parameters that are set.</summary>
internal static class Query
{
    public static string Of(params (string Name, string? Value)[] parameters)
    {
        var set = parameters.Where(p => !string.IsNullOrEmpty(p.Value)).Select(p => $"{p.Name}={Uri.EscapeDataString(p.Value!)}").ToList();
        return set.Count == 0 ? "" : "?" + string.Join("&", set);
    }

    /// <summary>A path segment such as an actor id, escaped.</summary>
    public static string Segment(string value) => Uri.EscapeDataString(value);
}

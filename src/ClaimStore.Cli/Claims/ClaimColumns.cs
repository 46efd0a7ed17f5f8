namespace ClaimStore.Cli.Claims;

/// <summary>
/// A claim's fields as flat columns: the CSV header that export writes and import reads, nested fields
/// as dotted paths. <c>actorName</c> and <c>actorKind</c> are not claim fields: import uses them only to
/// register an actor (<c>--register-actors</c>) and never sends them with the claim.
/// </summary>
internal static class ClaimColumns
{
    public const string ActorName = "actorName";
    public const string ActorKind = "actorKind";
    public const string ReportedVia = "reportedVia";

    public static readonly string[] All =
    [
        "actorId", "claimId", "subject", "predicate", "object", "stance", "kind", "statedAt", "quote", "language",
        "source.publisher", "source.url", "source.title", "source.publishedAt", ReportedVia, "spokesperson",
        "certainty", "quantity.min", "quantity.max", "quantity.unit", "confidence", ActorName, ActorKind,
    ];

    /// <summary>Written as JSON numbers when the cell is one.</summary>
    public static readonly HashSet<string> Numeric = new(["quantity.min", "quantity.max", "confidence"], StringComparer.Ordinal);

    /// <summary>The reporting chain in one cell: slugs separated by <c>;</c> (commas and spaces are read too).</summary>
    public const char ListSeparator = ';';

    public static readonly char[] ListSeparators = [';', ',', ' ', '\t', '\r', '\n'];

    /// <summary>The canonical spelling of a header cell, or null when it names no column.</summary>
    public static string? Canonical(string header)
    {
        var trimmed = header.Trim().TrimStart('\uFEFF');
        return All.FirstOrDefault(c => string.Equals(c, trimmed, StringComparison.OrdinalIgnoreCase));
    }
}

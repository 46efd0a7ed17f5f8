using System.Globalization;

namespace ClaimStore.Api.Ui.Shared;

/// <summary>
/// Splits a text into marked and unmarked runs: a word of the text is marked when it begins with the stem
/// of a search word (the search matched inflections, so "Drohne" marks "Drohnen"), case-insensitively.
/// </summary>
internal static class SearchHighlight
{
    public static IReadOnlyList<string> Words(string? query) =>
        string.IsNullOrWhiteSpace(query) ? [] : [.. query.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)
            .Select(w => new string([.. w.Where(char.IsLetterOrDigit)]))
            .Where(w => w.Length > 0)];

    public static IEnumerable<(string Part, bool Marked)> Split(string text, IReadOnlyList<string> words)
    {
        var stems = words.Select(Stem).ToList();
        var start = 0;
        var i = 0;
        while (i < text.Length)
        {
            if (!char.IsLetterOrDigit(text[i]))
            {
                i++;
                continue;
            }

            var end = i;
            while (end < text.Length && char.IsLetterOrDigit(text[end]))
            {
                end++;
            }

            var word = text[i..end];
            if (stems.Any(stem => word.StartsWith(stem, true, CultureInfo.InvariantCulture)))
            {
                if (i > start)
                {
                    yield return (text[start..i], false);
                }

                yield return (word, true);
                start = end;
            }

            i = end;
        }

        if (start < text.Length)
        {
            yield return (text[start..], false);
        }
    }

    // Inflections change a word's end: keep all but the last two letters of a longer word.
    private static string Stem(string word) => word.Length > 5 ? word[..^2] : word;
}

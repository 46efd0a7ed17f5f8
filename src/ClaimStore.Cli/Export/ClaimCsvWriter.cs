using System.Text;
using ClaimStore.Cli.Claims;

namespace ClaimStore.Cli.Export;

/// <summary>
/// RFC 4180 CSV with a header row of <see cref="ClaimColumns.All"/>: a field with a comma, a quote or
/// a line break is quoted, quotes doubled; line breaks inside a quote are kept as they are.
/// </summary>
internal sealed class ClaimCsvWriter : ClaimWriter
{
    private readonly StreamWriter _text;
    private readonly string?[] _row = new string?[ClaimColumns.All.Length];

    public ClaimCsvWriter(Stream output) : base(output)
    {
        _text = new StreamWriter(output, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), 1 << 16) { NewLine = "\n" };
        WriteRow(ClaimColumns.All);
    }

    public override void Write(ExportedClaim c, ActorInfo? actor)
    {
        string?[] row =
        [
            c.ActorId, c.ClaimId, c.Subject, c.Predicate, c.Object, c.Stance, c.Kind, c.StatedAt, c.Quote, c.Language,
            c.SourcePublisher, c.SourceUrl, c.SourceTitle, c.SourcePublishedAt,
            c.ReportedVia.Count == 0 ? null : string.Join(ClaimColumns.ListSeparator, c.ReportedVia),
            c.Spokesperson, c.Certainty, c.QuantityMin, c.QuantityMax, c.QuantityUnit, c.Confidence,
            actor?.Name, actor?.Kind,
        ];
        row.CopyTo(_row, 0);
        WriteRow(_row);
    }

    public override async ValueTask CompleteAsync() => await _text.FlushAsync();

    private void WriteRow(IReadOnlyList<string?> cells)
    {
        for (var i = 0; i < cells.Count; i++)
        {
            if (i > 0)
            {
                _text.Write(',');
            }

            WriteCell(cells[i]);
        }

        _text.WriteLine();
    }

    private void WriteCell(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return;
        }

        if (value.AsSpan().IndexOfAny(",\"\r\n") < 0 && value[0] != ' ' && value[^1] != ' ')
        {
            _text.Write(value);
            return;
        }

        _text.Write('"');
        _text.Write(value.Replace("\"", "\"\"", StringComparison.Ordinal));
        _text.Write('"');
    }
}

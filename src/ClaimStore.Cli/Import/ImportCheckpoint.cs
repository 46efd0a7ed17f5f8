using System.Text.Json;
using ClaimStore.Cli.Connection;

namespace ClaimStore.Cli.Import;

/// <summary>
/// How far an import of one file has come: the records acknowledged by the host, in file order, and
/// the counts so far. Written after each acknowledged batch (to a temporary file, then renamed, so a
/// crash leaves the previous one), removed when the file is done. A checkpoint of another file
/// (size or time changed), host or format is ignored and the import starts over, which is safe:
/// every claim has an id, so a repeat is answered "unchanged".
/// </summary>
internal sealed record ImportCheckpoint(
    string File,
    long Length,
    DateTime LastWriteUtc,
    string Url,
    string Format,
    long Records,
    long Created,
    long Unchanged,
    long Rejected,
    IReadOnlyList<string> UnregisteredActors)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static ImportCheckpoint Start(FileInfo file, Uri url, string format) =>
        new(file.FullName, file.Length, file.LastWriteTimeUtc, url.ToString(), format, 0, 0, 0, 0, []);

    public bool Matches(ImportCheckpoint fresh) =>
        File == fresh.File && Length == fresh.Length && LastWriteUtc == fresh.LastWriteUtc && Url == fresh.Url && Format == fresh.Format;

    public static ImportCheckpoint? Load(string path)
    {
        try
        {
            return System.IO.File.Exists(path) ? JsonSerializer.Deserialize<ImportCheckpoint>(System.IO.File.ReadAllText(path), Json) : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public void Save(string path)
    {
        var temporary = path + ".tmp";
        try
        {
            System.IO.File.WriteAllText(temporary, JsonSerializer.Serialize(this, Json));
            System.IO.File.Move(temporary, path, overwrite: true);
        }
        catch (IOException e)
        {
            throw new CliException(ExitCodes.Usage, $"Cannot write the checkpoint {path}: {e.Message} (choose another place with --state-dir).");
        }
        catch (UnauthorizedAccessException e)
        {
            throw new CliException(ExitCodes.Usage, $"Cannot write the checkpoint {path}: {e.Message} (choose another place with --state-dir).");
        }
    }
}

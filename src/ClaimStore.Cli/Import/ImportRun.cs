using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using System.Threading.Channels;
using ClaimStore.Cli.Claims;
using ClaimStore.Cli.Connection;
using ClaimStore.Cli.Output;
using Spectre.Console;

namespace ClaimStore.Cli.Import;

/// <summary>What an import does beyond sending claims.</summary>
internal sealed record ImportSettings(bool RegisterActors, DirectoryInfo? StateDirectory, int BatchSize, int Parallel, bool Restart);

/// <summary>The outcome of one file: counts over every run that worked on it (a resumed run adds to its checkpoint).</summary>
internal sealed record FileSummary(
    string File, long Records, long Created, long Unchanged, long Rejected, string? RejectsFile,
    IReadOnlyList<string> UnregisteredActors, IReadOnlyList<RejectedLine> FirstRejected);

/// <summary>A record the host (or the reader) refused, with where it is in the file.</summary>
internal sealed record RejectedLine(long Line, Dictionary<string, string[]> Errors);

/// <summary>
/// One file through <c>POST /claims/batch</c>: the reader streams records into batches, a few batches
/// are in flight at once, and results are taken in file order, so the checkpoint always names a prefix
/// of the file that the host has acknowledged. Memory holds the batches in flight, whatever the file's size.
/// </summary>
internal sealed partial class ImportRun(ClaimStoreClient client, CliConsole console, ImportSettings settings, FileInfo file, string format)
{
    /// <summary>A batch body stays well under the host's body limit for <c>POST /claims/batch</c> (docs/api.md).</summary>
    private const int MaxBodyBytes = 8 << 20;
    private const int FirstRejectedShown = 10;

    private static readonly JsonWriterOptions JsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly ConcurrentDictionary<string, Lazy<Task>> _registrations = new(StringComparer.Ordinal);
    private readonly SortedDictionary<long, BatchOutcome> _finished = [];
    private readonly List<RejectedLine> _firstRejected = [];
    private readonly object _commitLock = new();
    private readonly Stopwatch _watch = Stopwatch.StartNew();
    private ImportCheckpoint _state = null!;
    private long _nextToCommit;
    private long _claimsThisRun;
    private StreamWriter? _rejects;
    private IProgressReport _progress = null!;

    private string StatePath(string suffix) =>
        Path.Combine(settings.StateDirectory?.FullName ?? file.DirectoryName ?? ".", file.Name + suffix);

    public async Task<FileSummary> RunAsync(CancellationToken cancellationToken)
    {
        var checkpointPath = StatePath(".import-checkpoint.json");
        var rejectsPath = StatePath(".rejected.ndjson");
        var fresh = ImportCheckpoint.Start(file, client.BaseUrl, format);
        var checkpoint = settings.Restart ? null : ImportCheckpoint.Load(checkpointPath);
        if (checkpoint is not null && !checkpoint.Matches(fresh))
        {
            console.Warn($"{checkpointPath} belongs to another version of the file, another host or format: starting over.");
            checkpoint = null;
        }

        var resumed = checkpoint is { Records: > 0 };
        _state = checkpoint ?? fresh;
        if (resumed)
        {
            console.Error.WriteLine($"Resuming {file.Name} after {_state.Records:N0} records ({_state.Created:N0} created, {_state.Unchanged:N0} unchanged, {_state.Rejected:N0} rejected so far).");
        }
        else if (File.Exists(rejectsPath))
        {
            File.Delete(rejectsPath);
        }

        using var failure = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            await ProgressDisplay.RunAsync(console, $"{file.Name}", file.Length, async progress =>
            {
                _progress = progress;
                await using var stream = new FileStream(file.FullName, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
                var batches = Channel.CreateBounded<Batch>(settings.Parallel);
                var producer = Task.Run(() => ProduceAsync(stream, batches.Writer, failure.Token), failure.Token);
                var workers = Enumerable.Range(0, settings.Parallel)
                    .Select(_ => Task.Run(() => SendAsync(batches.Reader, rejectsPath, checkpointPath, failure.Token), failure.Token))
                    .ToList();
                await WhenAllOrFirstFailure([producer, .. workers], failure);
                return 0;
            });
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            console.Warn($"Stopped after {_state.Records:N0} records of {file.Name}; run the same command again to resume from there.");
            throw;
        }
        finally
        {
            if (_rejects is not null)
            {
                await _rejects.DisposeAsync();
            }
        }

        File.Delete(checkpointPath);
        return new FileSummary(file.FullName, _state.Records, _state.Created, _state.Unchanged, _state.Rejected,
            _state.Rejected > 0 ? rejectsPath : null, _state.UnregisteredActors, _firstRejected);
    }

    /// <summary>Waits for all; on the first failure cancels the others and throws that failure, not their cancellations.</summary>
    private static async Task WhenAllOrFirstFailure(List<Task> tasks, CancellationTokenSource failure)
    {
        var pending = new List<Task>(tasks);
        while (pending.Count > 0)
        {
            var done = await Task.WhenAny(pending);
            pending.Remove(done);
            if (done.IsFaulted || done.IsCanceled)
            {
                await failure.CancelAsync();
                try
                {
                    await Task.WhenAll(pending);
                }
                catch (Exception)
                {
                    // The others stop because of the first failure; that one is what the user needs to read.
                }

                await done;
            }
        }
    }

    private async Task ProduceAsync(FileStream stream, ChannelWriter<Batch> batches, CancellationToken cancellationToken)
    {
        var skip = _state.Records;
        long number = 0;
        var batch = new Batch(number++);
        await foreach (var record in ImportFormats.Read(format, stream, cancellationToken))
        {
            if (skip > 0)
            {
                skip--;
                continue;
            }

            batch.Add(record);
            if (batch.Items.Count >= settings.BatchSize || batch.BodyBytes >= MaxBodyBytes || batch.Records >= settings.BatchSize * 2)
            {
                batch.Close(stream.Position);
                await batches.WriteAsync(batch, cancellationToken);
                batch = new Batch(number++);
            }
        }

        batch.Close(stream.Length);
        await batches.WriteAsync(batch, cancellationToken);
        batches.Complete();
    }

    private async Task SendAsync(ChannelReader<Batch> batches, string rejectsPath, string checkpointPath, CancellationToken cancellationToken)
    {
        await foreach (var batch in batches.ReadAllAsync(cancellationToken))
        {
            var rejected = new List<RejectedLine>(batch.LocalRejects);
            var rejectedText = new Dictionary<long, JsonNode?>(batch.LocalRejectTexts);
            long created = 0, unchanged = 0;
            var unregistered = new HashSet<string>(StringComparer.Ordinal);
            if (batch.Items.Count > 0)
            {
                if (settings.RegisterActors)
                {
                    await Task.WhenAll(batch.Items.Where(i => i.ActorId is not null).DistinctBy(i => i.ActorId)
                        .Select(i => _registrations.GetOrAdd(i.ActorId!, _ => new Lazy<Task>(() => RegisterAsync(i, cancellationToken))).Value));
                }

                var results = await client.PostBatchAsync(batch.Body, cancellationToken);
                foreach (var result in results.OfType<JsonObject>())
                {
                    var item = batch.Items[(int)result["index"]!];
                    switch ((string?)result["status"])
                    {
                        case "created":
                            created++;
                            break;
                        case "unchanged":
                            unchanged++;
                            break;
                        default:
                            var errors = result["errors"] as JsonObject ?? [];
                            var messages = errors.ToDictionary(e => e.Key, e => e.Value is JsonArray a ? a.Select(m => (string?)m ?? "").ToArray() : [e.Value?.ToString() ?? ""]);
                            rejected.Add(new RejectedLine(item.Line, messages));
                            rejectedText[item.Line] = item.AsRead();
                            if (item.ActorId is not null && messages.TryGetValue("actorId", out var actorErrors)
                                && actorErrors.Any(m => m.Contains("not registered", StringComparison.Ordinal)))
                            {
                                unregistered.Add(item.ActorId);
                            }

                            break;
                    }
                }
            }

            Commit(new BatchOutcome(batch, created, unchanged, rejected, rejectedText, unregistered), rejectsPath, checkpointPath);
        }
    }

    /// <summary>Registers an actor the host does not know, with the name and kind the file gives (else its id and <c>group</c>).</summary>
    private async Task RegisterAsync(BatchItem item, CancellationToken cancellationToken)
    {
        if (!SlugPattern().IsMatch(item.ActorId!))
        {
            return; // The host rejects the claim and says why.
        }

        try
        {
            if (await client.GetJsonAsync($"actors/{item.ActorId}", cancellationToken, notFoundIsNull: true) is null)
            {
                await client.PutJsonAsync($"actors/{item.ActorId}",
                    new JsonObject { ["name"] = item.ActorName ?? item.ActorId, ["kind"] = item.ActorKind ?? "group" }, cancellationToken);
                lock (_commitLock)
                {
                    console.Error.WriteLine($"Registered actor {item.ActorId} ({item.ActorKind ?? "group"}).");
                }
            }
        }
        catch (CliException e)
        {
            console.Warn($"Could not register actor {item.ActorId}: {e.Message}");
        }
    }

    private void Commit(BatchOutcome outcome, string rejectsPath, string checkpointPath)
    {
        lock (_commitLock)
        {
            _finished[outcome.Batch.Number] = outcome;
            while (_finished.Remove(_nextToCommit, out var next))
            {
                _nextToCommit++;
                foreach (var reject in next.Rejected.OrderBy(r => r.Line))
                {
                    _rejects ??= new StreamWriter(rejectsPath, append: true, new UTF8Encoding(false)) { NewLine = "\n" };
                    var line = new JsonObject
                    {
                        [ImportFormats.PositionName(format)] = reject.Line,
                        ["errors"] = new JsonObject(reject.Errors.Select(e => KeyValuePair.Create(e.Key, (JsonNode?)new JsonArray([.. e.Value.Select(m => (JsonNode)m)])))),
                        ["record"] = next.RejectedText.GetValueOrDefault(reject.Line)?.DeepClone(),
                    };
                    _rejects.WriteLine(line.ToJsonString(new JsonSerializerOptions { Encoder = JsonOptions.Encoder }));
                    if (_firstRejected.Count < FirstRejectedShown)
                    {
                        _firstRejected.Add(reject);
                    }
                }

                _rejects?.Flush();
                _state = _state with
                {
                    Records = _state.Records + next.Batch.Records,
                    Created = _state.Created + next.Created,
                    Unchanged = _state.Unchanged + next.Unchanged,
                    Rejected = _state.Rejected + next.Rejected.Count,
                    UnregisteredActors = [.. _state.UnregisteredActors.Union(next.Unregistered).Order(StringComparer.Ordinal)],
                };
                _state.Save(checkpointPath);
                _claimsThisRun += next.Batch.Records;
                var rate = _claimsThisRun / Math.Max(_watch.Elapsed.TotalSeconds, 0.001);
                _progress.Report(next.Batch.EndPosition,
                    $"{file.Name}: {_state.Records:N0} claims, {rate:N0} claims/s, {_state.Rejected:N0} rejected");
            }
        }
    }

    [GeneratedRegex("^[a-z0-9]+(-[a-z0-9]+)*$")]
    private static partial Regex SlugPattern();

    private sealed record BatchItem(long Line, JsonObject Claim, string? ActorId, string? ActorName, string? ActorKind, bool IdDerived)
    {
        /// <summary>The record as the file gave it, for the rejects file: without a derived id, with the actor's columns.</summary>
        public JsonObject AsRead()
        {
            var record = Claim.DeepClone().AsObject();
            if (IdDerived)
            {
                record.Remove("claimId");
            }

            if (ActorName is not null)
            {
                record[ClaimColumns.ActorName] = ActorName;
            }

            if (ActorKind is not null)
            {
                record[ClaimColumns.ActorKind] = ActorKind;
            }

            return record;
        }
    }

    private sealed record BatchOutcome(
        Batch Batch, long Created, long Unchanged, List<RejectedLine> Rejected, Dictionary<long, JsonNode?> RejectedText, HashSet<string> Unregistered);

    /// <summary>Records read in a row and the request body of those that are claims.</summary>
    private sealed class Batch
    {
        private readonly ArrayBufferWriter<byte> _body = new(1 << 16);
        private readonly Utf8JsonWriter _json;

        public Batch(long number)
        {
            Number = number;
            _json = new Utf8JsonWriter(_body, JsonOptions);
            _json.WriteStartObject();
            _json.WriteStartArray("claims");
        }

        public long Number { get; }

        public List<BatchItem> Items { get; } = [];

        public List<RejectedLine> LocalRejects { get; } = [];

        public Dictionary<long, JsonNode?> LocalRejectTexts { get; } = [];

        /// <summary>Every record read into this batch, claims and unreadable ones.</summary>
        public long Records { get; private set; }

        public long EndPosition { get; private set; }

        public long BodyBytes => _json.BytesCommitted + _json.BytesPending;

        public ReadOnlyMemory<byte> Body => _body.WrittenMemory;

        public void Add(ClaimRecord record)
        {
            Records++;
            if (record.Claim is not { } claim)
            {
                LocalRejects.Add(new RejectedLine(record.Line, new() { ["record"] = [record.Error ?? "Unreadable."] }));
                LocalRejectTexts[record.Line] = record.Text is null ? null : JsonValue.Create(record.Text);
                return;
            }

            var actorName = Take(claim, ClaimColumns.ActorName);
            var actorKind = Take(claim, ClaimColumns.ActorKind);
            var idDerived = claim["claimId"] is null;
            if (idDerived)
            {
                // Absent (or null): an id from the content, so that a re-run of the file never duplicates the claim.
                claim.Remove("claimId");
                claim["claimId"] = ContentId.For(claim).ToString();
            }

            var actorId = claim["actorId"] is JsonValue id && id.TryGetValue<string>(out var text) ? text : null;
            Items.Add(new BatchItem(record.Line, claim, actorId, actorName, actorKind, idDerived));
            claim.WriteTo(_json);
        }

        public void Close(long endPosition)
        {
            EndPosition = endPosition;
            _json.WriteEndArray();
            _json.WriteEndObject();
            _json.Flush();
        }

        private static string? Take(JsonObject claim, string name)
        {
            if (!claim.TryGetPropertyValue(name, out var value))
            {
                return null;
            }

            claim.Remove(name);
            return value is JsonValue v && v.TryGetValue<string>(out var text) ? text : value?.ToJsonString();
        }
    }
}

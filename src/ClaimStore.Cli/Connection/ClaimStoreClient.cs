using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ClaimStore.Cli.Connection;

/// <summary>
/// The host's HTTP API as the commands use it. Writes are retried when the host asks for it (429,
/// 503) or cannot be reached for a moment; every write the command line makes is idempotent.
/// </summary>
internal sealed class ClaimStoreClient : IDisposable
{
    public const string ApiKeyHeader = "X-Api-Key";
    private const string Ndjson = "application/x-ndjson";
    private const int MaxAttempts = 8;

    private readonly HttpClient _http;

    public ClaimStoreClient(Uri baseUrl, string? apiKey)
    {
        BaseUrl = baseUrl;
        _http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
        {
            BaseAddress = baseUrl,
            // Streams (the log, live feeds) run as long as they run; each call bounds itself.
            Timeout = Timeout.InfiniteTimeSpan,
        };
        if (apiKey is not null)
        {
            _http.DefaultRequestHeaders.Add(ApiKeyHeader, apiKey);
        }
    }

    public Uri BaseUrl { get; }

    public void Dispose() => _http.Dispose();

    /// <summary>GET a JSON document; null when the host answers 404.</summary>
    public async Task<JsonNode?> GetJsonAsync(string path, CancellationToken cancellationToken, bool notFoundIsNull = false)
    {
        using var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Get, path), cancellationToken);
        if (notFoundIsNull && response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        await EnsureSuccessAsync(response, cancellationToken);
        return await JsonNode.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken), cancellationToken: cancellationToken);
    }

    /// <summary>PUT a JSON body; returns the status code (2xx) or throws with the host's problem.</summary>
    public async Task<HttpStatusCode> PutJsonAsync(string path, JsonNode body, CancellationToken cancellationToken)
    {
        var bytes = Encoding.UTF8.GetBytes(body.ToJsonString());
        using var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Put, path) { Content = JsonContent(bytes) }, cancellationToken);
        await EnsureSuccessAsync(response, cancellationToken);
        return response.StatusCode;
    }

    /// <summary><c>POST /claims/batch</c> with a ready body; the per-claim results.</summary>
    public async Task<JsonArray> PostBatchAsync(ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(
            () => new HttpRequestMessage(HttpMethod.Post, "claims/batch") { Content = JsonContent(body) }, cancellationToken);
        await EnsureSuccessAsync(response, cancellationToken);
        var answer = await JsonNode.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken), cancellationToken: cancellationToken);
        return answer?["results"] as JsonArray
            ?? throw new CliException(ExitCodes.HostError, "The host answered the batch without 'results'.");
    }

    /// <summary>
    /// The global log after <paramref name="afterSequence"/> as raw NDJSON lines, page after page, up to
    /// the log's head when the last page was asked for (and at most up to <paramref name="untilSequence"/>).
    /// </summary>
    public async IAsyncEnumerable<LogLine> ReadLogAsync(
        long afterSequence, long? untilSequence, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        const int pageSize = 100_000;
        while (true)
        {
            var count = 0;
            using var response = await SendAsync(() =>
            {
                var request = new HttpRequestMessage(HttpMethod.Get, $"events?afterSequence={afterSequence}&limit={pageSize}");
                request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(Ndjson));
                return request;
            }, cancellationToken, HttpCompletionOption.ResponseHeadersRead);
            await EnsureSuccessAsync(response, cancellationToken);
            // Lines stay UTF-8 bytes, as they came: an export copies or parses them without a detour through strings.
            var reader = PipeReader.Create(await response.Content.ReadAsStreamAsync(cancellationToken));
            try
            {
                while (true)
                {
                    var read = await reader.ReadAsync(cancellationToken);
                    var buffer = read.Buffer;
                    while (TryReadLine(ref buffer, read.IsCompleted, out var line))
                    {
                        if (line.IsEmpty)
                        {
                            continue;
                        }

                        var utf8 = line.ToArray();
                        var sequence = SequenceOf(utf8);
                        if (untilSequence is { } until && sequence > until)
                        {
                            yield break;
                        }

                        count++;
                        afterSequence = sequence;
                        yield return new LogLine(sequence, utf8);
                    }

                    reader.AdvanceTo(buffer.Start, buffer.End);
                    if (read.IsCompleted)
                    {
                        break;
                    }
                }
            }
            finally
            {
                await reader.CompleteAsync();
            }

            if (count < pageSize)
            {
                yield break;
            }
        }
    }

    /// <summary>
    /// Server-Sent Events from <paramref name="path"/>, resuming after the last id seen when the
    /// connection drops (the host's feed delivers every later event exactly once).
    /// </summary>
    public async IAsyncEnumerable<ServerSentEvent> FollowAsync(
        string path, string? lastEventId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var failures = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            HttpResponseMessage response;
            try
            {
                var request = new HttpRequestMessage(HttpMethod.Get, path);
                request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
                if (lastEventId is not null)
                {
                    request.Headers.Add("Last-Event-ID", lastEventId);
                }

                response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            }
            catch (HttpRequestException) when (++failures < MaxAttempts)
            {
                await Task.Delay(Backoff(failures), cancellationToken);
                continue;
            }

            using (response)
            {
                await EnsureSuccessAsync(response, cancellationToken);
                failures = 0;
                using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken), Encoding.UTF8);
                string? id = null, type = null;
                var data = new StringBuilder();
                while (true)
                {
                    string? line;
                    try
                    {
                        line = await reader.ReadLineAsync(cancellationToken);
                    }
                    catch (Exception e) when (e is IOException or HttpRequestException && !cancellationToken.IsCancellationRequested)
                    {
                        break;
                    }

                    if (line is null)
                    {
                        break;
                    }

                    if (line.Length == 0)
                    {
                        if (data.Length > 0)
                        {
                            lastEventId = id ?? lastEventId;
                            yield return new ServerSentEvent(id, type ?? "message", data.ToString());
                        }

                        id = type = null;
                        data.Clear();
                    }
                    else if (line.StartsWith("id:", StringComparison.Ordinal))
                    {
                        id = line[3..].TrimStart();
                    }
                    else if (line.StartsWith("event:", StringComparison.Ordinal))
                    {
                        type = line[6..].TrimStart();
                    }
                    else if (line.StartsWith("data:", StringComparison.Ordinal))
                    {
                        if (data.Length > 0)
                        {
                            data.Append('\n');
                        }

                        data.Append(line.AsSpan(5).TrimStart(' '));
                    }
                }
            }
        }
    }

    // A line ends at '\n'; the last one may lack it once the response has ended.
    private static bool TryReadLine(ref ReadOnlySequence<byte> buffer, bool ended, out ReadOnlySequence<byte> line)
    {
        if (buffer.PositionOf((byte)'\n') is { } end)
        {
            line = buffer.Slice(0, end);
            buffer = buffer.Slice(buffer.GetPosition(1, end));
            return true;
        }

        if (ended && !buffer.IsEmpty)
        {
            line = buffer;
            buffer = buffer.Slice(buffer.End);
            return true;
        }

        line = default;
        return false;
    }

    private static long SequenceOf(byte[] line)
    {
        var reader = new Utf8JsonReader(line);
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == 1 && reader.ValueTextEquals("sequence"u8))
            {
                reader.Read();
                return reader.GetInt64();
            }

            if (reader.CurrentDepth >= 1 && reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
            {
                reader.Skip();
            }
        }

        throw new CliException(ExitCodes.HostError, "The host sent an event without a sequence.");
    }

    private static ReadOnlyMemoryContent JsonContent(ReadOnlyMemory<byte> body)
    {
        var content = new ReadOnlyMemoryContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        return content;
    }

    /// <summary>Sends, retrying on 429 and 503 (after <c>Retry-After</c>) and on connection failures.</summary>
    private async Task<HttpResponseMessage> SendAsync(
        Func<HttpRequestMessage> request, CancellationToken cancellationToken,
        HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead)
    {
        for (var attempt = 1; ; attempt++)
        {
            HttpResponseMessage response;
            try
            {
                response = await _http.SendAsync(request(), completion, cancellationToken);
            }
            catch (HttpRequestException) when (attempt < MaxAttempts)
            {
                await Task.Delay(Backoff(attempt), cancellationToken);
                continue;
            }
            catch (HttpRequestException e)
            {
                throw new CliException(ExitCodes.HostError, $"Cannot reach {BaseUrl}: {e.Message}");
            }

            if (attempt < MaxAttempts && response.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable)
            {
                var wait = response.Headers.RetryAfter?.Delta ?? Backoff(attempt);
                response.Dispose();
                await Task.Delay(wait, cancellationToken);
                continue;
            }

            return response;
        }
    }

    private static TimeSpan Backoff(int attempt) => TimeSpan.FromMilliseconds(Math.Min(5000, 100 * (1 << Math.Min(attempt, 6))));

    private async Task EnsureSuccessAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        var detail = text;
        try
        {
            if (JsonNode.Parse(text) is JsonObject problem)
            {
                detail = string.Join(" ", new[] { (string?)problem["title"], (string?)problem["detail"] }.Where(s => !string.IsNullOrEmpty(s)));
                if (problem["errors"] is JsonObject errors)
                {
                    detail += " " + string.Join("; ", errors.Select(e => $"{e.Key}: {string.Join(" ", e.Value!.AsArray().Select(m => (string?)m))}"));
                }
            }
        }
        catch (JsonException)
        {
            // Not a problem document: show the text as it came.
        }

        var hint = response.StatusCode switch
        {
            HttpStatusCode.Unauthorized => $" Pass --api-key or set {CommonOptions.ApiKeyVariable}.",
            HttpStatusCode.Forbidden => " The key's role does not allow this.",
            _ => "",
        };
        throw new CliException(ExitCodes.HostError,
            $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri?.PathAndQuery}: {(int)response.StatusCode} {response.ReasonPhrase}. {detail.Trim()}{hint}".Trim());
    }
}

/// <summary>One event of the global log, as the host wrote it (one line of UTF-8 JSON).</summary>
internal readonly record struct LogLine(long Sequence, byte[] Utf8)
{
    public string Json => Encoding.UTF8.GetString(Utf8);
}

/// <summary>One message of a Server-Sent Events stream.</summary>
internal sealed record ServerSentEvent(string? Id, string Type, string Data);

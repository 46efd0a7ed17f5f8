using System.Diagnostics;
using System.Text;

namespace ClaimStore.Benchmarks.Infrastructure;

/// <summary>
/// An open Server-Sent Events connection read in the background. A probe arms it with a text and an
/// event type before the write it measures; the watch notes the moment the first such message arrives.
/// </summary>
public sealed class FeedWatch : IAsyncDisposable
{
    private readonly HttpClient _client;
    private readonly HttpResponseMessage _response;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _reading;
    private readonly Lock _gate = new();
    private (string Needle, string Event, TaskCompletionSource<long> Arrived)? _armed;

    private FeedWatch(HttpClient client, HttpResponseMessage response, Stream body)
    {
        (_client, _response) = (client, response);
        _reading = Task.Run(() => ReadAsync(body, _stop.Token));
    }

    /// <summary>Messages read so far.</summary>
    public long Messages { get; private set; }

    public static async Task<FeedWatch> OpenAsync(Uri baseAddress, string path)
    {
        var client = StoreApi.CreateClient(baseAddress, 1);
        client.Timeout = Timeout.InfiniteTimeSpan;
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Accept.ParseAdd("text/event-stream");
        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        return new FeedWatch(client, response, await response.Content.ReadAsStreamAsync());
    }

    /// <summary>A task that completes with the <see cref="Stopwatch"/> timestamp at which an <paramref name="eventType"/> message containing <paramref name="needle"/> arrived.</summary>
    public Task<long> Arm(string needle, string eventType)
    {
        var arrived = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            _armed = (needle, eventType, arrived);
        }

        return arrived.Task;
    }

    private async Task ReadAsync(Stream body, CancellationToken stop)
    {
        using var reader = new StreamReader(body, Encoding.UTF8);
        string? type = null;
        var data = new StringBuilder();
        try
        {
            while (await reader.ReadLineAsync(stop) is { } line)
            {
                if (line.Length > 0)
                {
                    if (line.StartsWith("event:", StringComparison.Ordinal))
                    {
                        type = line[6..].Trim();
                    }
                    else if (line.StartsWith("data:", StringComparison.Ordinal))
                    {
                        data.Append(line, 5, line.Length - 5);
                    }

                    continue;
                }

                if (data.Length > 0)
                {
                    var now = Stopwatch.GetTimestamp();
                    Messages++;
                    lock (_gate)
                    {
                        if (_armed is { } armed && armed.Event == type && data.ToString().Contains(armed.Needle, StringComparison.Ordinal))
                        {
                            armed.Arrived.TrySetResult(now);
                            _armed = null;
                        }
                    }
                }

                (type, _) = (null, data.Clear());
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or HttpRequestException)
        {
            // The watch was disposed, or the host went away; an armed probe then times out and counts as an error.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _response.Dispose();
        await _reading;
        _client.Dispose();
        _stop.Dispose();
    }
}

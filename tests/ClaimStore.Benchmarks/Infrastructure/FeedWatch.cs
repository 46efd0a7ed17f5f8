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

    // The frames are counted in the bytes as they come, without decoding them: the load generator shares the host's
    // cores, so a reader that spent microseconds a message would measure itself. Only an armed probe looks inside one.
    private async Task ReadAsync(Stream body, CancellationToken stop)
    {
        var buffer = new byte[1 << 16];
        var (start, end) = (0, 0);
        try
        {
            while (true)
            {
                if (end == buffer.Length)
                {
                    if (start > 0)
                    {
                        Buffer.BlockCopy(buffer, start, buffer, 0, end - start);
                        (start, end) = (0, end - start);
                    }
                    else
                    {
                        Array.Resize(ref buffer, buffer.Length * 2);
                    }
                }

                var read = await body.ReadAsync(buffer.AsMemory(end), stop);
                if (read == 0)
                {
                    return;
                }

                end += read;
                var now = Stopwatch.GetTimestamp();
                while (buffer.AsSpan(start, end - start).IndexOf("\n\n"u8) is var boundary and >= 0)
                {
                    Inspect(buffer.AsSpan(start, boundary), now);
                    start += boundary + 2;
                }

                if (start == end)
                {
                    (start, end) = (0, 0);
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or HttpRequestException)
        {
            // The watch was disposed, or the host went away; an armed probe then times out and counts as an error.
        }
    }

    /// <summary>One frame without its blank line: counted when it carries data (a comment does not).</summary>
    private void Inspect(ReadOnlySpan<byte> frame, long now)
    {
        if (!frame.StartsWith("data:"u8) && frame.IndexOf("\ndata:"u8) < 0)
        {
            return;
        }

        Messages++;
        lock (_gate)
        {
            if (_armed is not { } armed)
            {
                return;
            }

            var data = frame[(frame.IndexOf("data:"u8) + 5)..];
            if (frame.IndexOf(Encoding.UTF8.GetBytes($"event: {armed.Event}\n")) >= 0 && data.IndexOf(Encoding.UTF8.GetBytes(armed.Needle)) >= 0)
            {
                armed.Arrived.TrySetResult(now);
                _armed = null;
            }
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

using System.Text;

namespace ClaimStore.IntegrationTests.Infrastructure;

/// <summary>One Server-Sent Events message as a client sees it.</summary>
public sealed record StreamMessage(string? Id, string? Event, string Data);

/// <summary>
/// Reads a <c>text/event-stream</c> response as a browser's EventSource would: messages separated by a
/// blank line, <c>id:</c>, <c>event:</c> and <c>data:</c> fields, comment lines counted apart.
/// </summary>
public sealed class EventStreamReader : IAsyncDisposable
{
    private readonly HttpResponseMessage _response;
    private readonly StreamReader _reader;

    private EventStreamReader(HttpResponseMessage response, Stream body) =>
        (_response, _reader) = (response, new StreamReader(body, Encoding.UTF8));

    public int Comments { get; private set; }

    public HttpResponseMessage Response => _response;

    /// <summary>Opens the stream; the response's headers have arrived when this returns.</summary>
    public static async Task<EventStreamReader> OpenAsync(HttpClient client, string path, string? lastEventId = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Accept.ParseAdd("text/event-stream");
        if (lastEventId is not null)
        {
            request.Headers.Add("Last-Event-ID", lastEventId);
        }

        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        return new EventStreamReader(response, await response.Content.ReadAsStreamAsync());
    }

    /// <summary>The next message, or null when the server ended the stream.</summary>
    public async Task<StreamMessage?> NextAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        string? id = null, type = null;
        var data = new StringBuilder();
        var any = false;
        while (await _reader.ReadLineAsync(cancel.Token) is { } line)
        {
            if (line.Length == 0)
            {
                if (any)
                {
                    return new StreamMessage(id, type, data.ToString());
                }

                continue;
            }

            if (line.StartsWith(':'))
            {
                Comments++;
                continue;
            }

            any = true;
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            var (field, value) = colon < 0 ? (line, "") : (line[..colon], line[(colon + 1)..].TrimStart(' '));
            switch (field)
            {
                case "id": id = value; break;
                case "event": type = value; break;
                case "data": data.Append(data.Length > 0 ? "\n" : "").Append(value); break;
            }
        }

        return null;
    }

    /// <summary>The next <paramref name="count"/> messages, all within <paramref name="timeout"/>.</summary>
    public async Task<List<StreamMessage>> TakeAsync(int count, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        var messages = new List<StreamMessage>();
        while (messages.Count < count)
        {
            var left = deadline - DateTime.UtcNow;
            var message = await NextAsync(left > TimeSpan.Zero ? left : TimeSpan.FromMilliseconds(1))
                ?? throw new InvalidOperationException($"The stream ended after {messages.Count} of {count} messages.");
            messages.Add(message);
        }

        return messages;
    }

    public ValueTask DisposeAsync()
    {
        _reader.Dispose();
        _response.Dispose();
        return ValueTask.CompletedTask;
    }
}

using System.Buffers;
using System.Text;
using System.Text.Json;
using ClaimStore.Api.Http;
using ClaimStore.Storage.Telemetry;
using Microsoft.AspNetCore.Http.Features;

namespace ClaimStore.Api.Feeds;

/// <summary>One Server-Sent Events message, framed once (<c>id:</c>, <c>event:</c>, <c>data:</c>) and sent to every client as is.</summary>
public sealed class ServerSentEvent
{
    private ServerSentEvent(long id, string type, byte[] frame) => (Id, Type, Frame) = (id, type, frame);

    public long Id { get; }

    public string Type { get; }

    public ReadOnlyMemory<byte> Frame { get; }

    public static ServerSentEvent Create<T>(long id, string type, T data)
    {
        // JSON on one line: System.Text.Json escapes line breaks inside strings.
        var json = JsonSerializer.SerializeToUtf8Bytes(data, ApiJson.Options);
        var head = Encoding.UTF8.GetBytes($"id: {id}\nevent: {type}\ndata: ");
        var frame = new byte[head.Length + json.Length + 2];
        head.CopyTo(frame, 0);
        json.CopyTo(frame, head.Length);
        frame[^2] = (byte)'\n';
        frame[^1] = (byte)'\n';
        return new ServerSentEvent(id, type, frame);
    }
}

/// <summary>
/// Writes a feed as <c>text/event-stream</c>: the messages as they come, each batch in one write, a <c>: keep-alive</c>
/// comment after <c>Feeds:KeepAliveSeconds</c> (15) without one, until the client goes or the host shuts down.
/// </summary>
/// <remarks>
/// The feed hands out batches (what one round of its source found for this client): a message then costs a copy of
/// its frame, and the await, the timer check and the flush are paid once a batch, not once a message.
/// </remarks>
public sealed class ServerSentEventsResult(IAsyncEnumerable<IReadOnlyList<ServerSentEvent>> feed, string feedName)
    : IResult, IStatusCodeHttpResult, IContentTypeHttpResult
{
    public const string MediaType = "text/event-stream";

    /// <summary>Seconds without a message after which a comment goes out (<c>Feeds:KeepAliveSeconds</c>).</summary>
    public const int DefaultKeepAliveSeconds = 15;

    private static readonly ReadOnlyMemory<byte> KeepAliveComment = ": keep-alive\n\n"u8.ToArray();

    public int? StatusCode => StatusCodes.Status200OK;

    public string ContentType => MediaType;

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.ContentType = MediaType;
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        httpContext.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();

        // The stream ends with the request or, at shutdown, with the host.
        var services = httpContext.RequestServices;
        var stopping = services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
        var keepAliveEvery = TimeSpan.FromSeconds(
            services.GetRequiredService<IConfiguration>().GetValue("Feeds:KeepAliveSeconds", DefaultKeepAliveSeconds));
        using var ending = CancellationTokenSource.CreateLinkedTokenSource(httpContext.RequestAborted, stopping);
        var token = ending.Token;
        var body = response.BodyWriter;
        await response.StartAsync(token);
        await body.FlushAsync(token);
        var batches = feed.GetAsyncEnumerator(token);
        ValueTask<bool> next = default;
        var pending = false;
        var feedTag = new KeyValuePair<string, object?>("feed", feedName);
        ClaimStoreMeter.FeedClients.Add(1, feedTag);
        try
        {
            // One timer at a time: a comment goes out at every tick, and messages between ticks need none.
            Task? keepAlive = null;
            while (true)
            {
                next = batches.MoveNextAsync();
                pending = true;
                if (!next.IsCompleted)
                {
                    var waiting = next.AsTask();
                    next = new ValueTask<bool>(waiting);
                    keepAlive ??= Task.Delay(keepAliveEvery, token);
                    while (await Task.WhenAny(waiting, keepAlive) != waiting)
                    {
                        body.Write(KeepAliveComment.Span);
                        await body.FlushAsync(token);
                        keepAlive = Task.Delay(keepAliveEvery, token);
                    }
                }

                pending = false;
                if (!await next)
                {
                    return;
                }

                foreach (var message in batches.Current)
                {
                    body.Write(message.Frame.Span);
                }

                await body.FlushAsync(token);
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // The client went away, or the host is stopping: the stream simply ends.
        }
        finally
        {
            // An async iterator may only be disposed once its pending step has ended.
            if (pending)
            {
                try
                {
                    await next;
                }
                catch (Exception)
                {
                    // Cancelled with the stream, or failed: either way it has ended.
                }
            }

            await batches.DisposeAsync();
            ClaimStoreMeter.FeedClients.Add(-1, feedTag);
        }
    }
}

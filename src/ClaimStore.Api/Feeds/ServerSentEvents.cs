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
/// Writes a feed as <c>text/event-stream</c>: each message as soon as it comes, a <c>: keep-alive</c> comment
/// after <c>Feeds:KeepAliveSeconds</c> (15) without one, until the client goes or the host shuts down.
/// </summary>
public sealed class ServerSentEventsResult(IAsyncEnumerable<ServerSentEvent> feed, string feedName) : IResult, IStatusCodeHttpResult, IContentTypeHttpResult
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
        // Frames go into the response pipe without a flush each: the messages of one round go out in one write.
        var body = response.BodyWriter;
        await response.StartAsync(token);
        await body.FlushAsync(token);
        var messages = feed.GetAsyncEnumerator(token);
        Task<bool>? next = null;
        var feedTag = new KeyValuePair<string, object?>("feed", feedName);
        ClaimStoreMeter.FeedClients.Add(1, feedTag);
        try
        {
            // One timer at a time: a comment goes out at every tick, and messages between ticks need none.
            Task? keepAlive = null;
            next = messages.MoveNextAsync().AsTask();
            while (true)
            {
                keepAlive ??= Task.Delay(keepAliveEvery, token);
                if (await Task.WhenAny(next, keepAlive) != next)
                {
                    keepAlive = null;
                    body.Write(KeepAliveComment.Span);
                    await body.FlushAsync(token);
                    continue;
                }

                if (!await next)
                {
                    return;
                }

                body.Write(messages.Current.Frame.Span);
                next = messages.MoveNextAsync().AsTask();
                if (!next.IsCompleted)
                {
                    await body.FlushAsync(token);
                }
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // The client went away, or the host is stopping: the stream simply ends.
        }
        finally
        {
            // An async iterator may only be disposed once its pending step has ended.
            if (next is not null)
            {
                await next.ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
            }

            await messages.DisposeAsync();
            ClaimStoreMeter.FeedClients.Add(-1, feedTag);
        }
    }
}

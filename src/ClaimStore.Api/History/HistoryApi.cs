using System.Buffers;
using System.Text.Json;
using ClaimStore.Api.Http;
using Mediator;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ClaimStore.Api.History;

/// <summary>The raw event log: per actor, and in global order for replay.</summary>
internal static class HistoryApi
{
    public const string NdjsonMediaType = "application/x-ndjson";

    public static IEndpointRouteBuilder MapHistory(this IEndpointRouteBuilder routes)
    {
        var history = routes.MapGroup("/").WithTags("History");
        history.MapGet("/actors/{actorId}/events", GetActorEvents).WithName(nameof(GetActorEvents));
        history.MapGet("/events", GetEvents).WithName(nameof(GetEvents))
            .Produces<EventPage>(StatusCodes.Status200OK, "application/json", NdjsonMediaType);
        return routes;
    }

    public static async Task<Results<Ok<IReadOnlyList<StreamEvent>>, NotFoundProblem>> GetActorEvents(
        string actorId, long? fromVersion, IMediator mediator, CancellationToken cancellationToken) =>
        await mediator.Send(new GetActorEvents(actorId, fromVersion ?? 1), cancellationToken) is { } events
            ? TypedResults.Ok(events)
            : Problems.NotFound($"Actor '{actorId}' has no event stream.");

    /// <summary>
    /// A page of the global log as JSON, or, with <c>Accept: application/x-ndjson</c>, the same
    /// events streamed one JSON object per line (the last line's sequence is the next cursor).
    /// <paramref name="types"/> (comma-separated event type names) keeps only those events; a JSON page
    /// that is not full then continues after the horizon it looked through, not after its last event.
    /// </summary>
    public static async Task<IResult> GetEvents(
        HttpContext context, long? afterSequence, int? limit, string? types, IMediator mediator, CancellationToken cancellationToken)
    {
        var streamed = context.Request.GetTypedHeaders().Accept
            .Any(a => a.MediaType.Equals(NdjsonMediaType, StringComparison.OrdinalIgnoreCase));
        var after = afterSequence ?? 0;
        var typeList = types?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) is { Length: > 0 } named ? named : null;
        var pageSize = limit ?? (streamed ? History.GetEvents.MaxStreamedLimit : History.GetEvents.MaxLimit);
        var slice = await mediator.Send(new GetEvents(after, pageSize, streamed, typeList), cancellationToken);
        if (streamed)
        {
            return new NdjsonResult<FeedEvent>(slice.Events);
        }

        var page = new List<FeedEvent>();
        await foreach (var e in slice.Events.WithCancellation(cancellationToken))
        {
            page.Add(e);
        }

        var next = typeList is not null && page.Count < pageSize
            ? Math.Max(after, slice.Horizon)
            : page.Count > 0 ? page[^1].Sequence : after;
        return TypedResults.Ok(new EventPage(page, next));
    }

    /// <summary>Writes each item as one line of JSON into the response pipe, flushing every 64 KiB or so and at the end.</summary>
    private sealed class NdjsonResult<T>(IAsyncEnumerable<T> items) : IResult
    {
        private const int FlushEvery = 64 * 1024;

        public async Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.ContentType = NdjsonMediaType;
            var body = httpContext.Response.BodyWriter;
            var token = httpContext.RequestAborted;
            // Several top-level values in one writer: the lines are separate JSON documents.
            await using var json = new Utf8JsonWriter(body, new JsonWriterOptions { Encoder = ApiJson.Options.Encoder, SkipValidation = true });
            long unflushed = 0;
            await foreach (var item in items.WithCancellation(token))
            {
                JsonSerializer.Serialize(json, item, ApiJson.Options);
                json.Flush();
                body.Write("\n"u8);
                unflushed += json.BytesCommitted + 1;
                json.Reset();
                if (unflushed >= FlushEvery)
                {
                    await body.FlushAsync(token);
                    unflushed = 0;
                }
            }

            await body.FlushAsync(token);
        }
    }
}

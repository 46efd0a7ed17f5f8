using System.Runtime.CompilerServices;
using ClaimStore.Storage;
using FluentValidation;
using Mediator;

namespace ClaimStore.Api.History;

/// <summary>
/// Events in global order after <paramref name="AfterSequence"/>, up to the log's <see cref="LogHorizon"/>,
/// so a reader who pages on with <c>nextAfterSequence</c> never skips one, although appends commit
/// concurrently (decision 0007). A page includes every event acknowledged before the request, unless
/// appends in flight hold the horizon back for longer than <see cref="MaxHorizonWait"/>: then the page
/// ends before them, and the reader finds the rest on a later page. With <paramref name="Types"/>, only events of
/// those types come back, and the slice's horizon tells how far the log was looked through.
/// </summary>
public sealed record GetEvents(long AfterSequence, int Limit, bool Streamed, IReadOnlyList<string>? Types = null)
    : IRequest<GetEvents.Slice>
{
    /// <summary>The events, read as they are enumerated, and the horizon they were read up to.</summary>
    public sealed record Slice(long Horizon, IAsyncEnumerable<FeedEvent> Events);

    public const int MaxLimit = 1000;
    public const int MaxStreamedLimit = 100_000;

    /// <summary>How long a page waits for appends in flight before it is served without the newest events.</summary>
    public static readonly TimeSpan MaxHorizonWait = TimeSpan.FromSeconds(2);

    public sealed class Validator : AbstractValidator<GetEvents>
    {
        public Validator(EventLog log)
        {
            var known = log.KnownTypes;
            RuleFor(q => q.AfterSequence).GreaterThanOrEqualTo(0).WithMessage("Must be 0 or more.")
                .OverridePropertyName("afterSequence");
            RuleFor(q => q.Limit)
                .Must((q, limit) => limit >= 1 && limit <= (q.Streamed ? MaxStreamedLimit : MaxLimit))
                .WithMessage(q => $"Must be between 1 and {(q.Streamed ? MaxStreamedLimit : MaxLimit)}.")
                .OverridePropertyName("limit");
            RuleFor(q => q.Types)
                .Must(types => types is null || types.All(t => known.Contains(t, StringComparer.Ordinal)))
                .WithMessage(q => $"Unknown event type '{q.Types!.First(t => !known.Contains(t, StringComparer.Ordinal))}'; the types are {string.Join(", ", known)}.")
                .OverridePropertyName("types");
        }
    }

    public sealed class Handler(EventLog log) : IRequestHandler<GetEvents, Slice>
    {
        public async ValueTask<Slice> Handle(GetEvents query, CancellationToken cancellationToken)
        {
            var horizon = await log.HorizonPastHeadAsync(MaxHorizonWait, cancellationToken);
            return new Slice(horizon, Read(query, horizon, cancellationToken));
        }

        // The events are read lazily, as the response is written, so a large NDJSON page streams.
        private async IAsyncEnumerable<FeedEvent> Read(
            GetEvents query, long horizon, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await foreach (var row in log.StreamAsync(query.AfterSequence, horizon, query.Limit, query.Types, cancellationToken))
            {
                // A type this build does not know is left out, as the live feed leaves it out.
                if (row.Event is { } e)
                {
                    yield return new FeedEvent(row.Sequence, row.ActorId, row.Version, row.Type, e.RecordedAt, e);
                }
            }
        }
    }
}

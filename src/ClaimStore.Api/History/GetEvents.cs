using System.Runtime.CompilerServices;
using ClaimStore.Api.ReadModel;
using ClaimStore.Grains.Storage;
using FluentValidation;
using Marten;
using Mediator;
using Npgsql;

namespace ClaimStore.Api.History;

/// <summary>
/// Events in global order after <paramref name="AfterSequence"/>, up to the log's <see cref="LogHorizon"/>,
/// so a reader who pages on with <c>nextAfterSequence</c> never skips one, although appends commit
/// concurrently (decision 0007). A page includes every event acknowledged before the request, unless
/// appends in flight hold the horizon back for longer than <see cref="MaxHorizonWait"/>: then the page
/// ends before them, and the reader finds the rest on a later page.
/// </summary>
public sealed record GetEvents(long AfterSequence, int Limit, bool Streamed) : IRequest<IAsyncEnumerable<FeedEvent>>
{
    public const int MaxLimit = 1000;
    public const int MaxStreamedLimit = 100_000;

    /// <summary>How long a page waits for appends in flight before it is served without the newest events.</summary>
    public static readonly TimeSpan MaxHorizonWait = TimeSpan.FromSeconds(2);

    public sealed class Validator : AbstractValidator<GetEvents>
    {
        public Validator()
        {
            RuleFor(q => q.AfterSequence).GreaterThanOrEqualTo(0).WithMessage("Must be 0 or more.")
                .OverridePropertyName("afterSequence");
            RuleFor(q => q.Limit)
                .Must((q, limit) => limit >= 1 && limit <= (q.Streamed ? MaxStreamedLimit : MaxLimit))
                .WithMessage(q => $"Must be between 1 and {(q.Streamed ? MaxStreamedLimit : MaxLimit)}.")
                .OverridePropertyName("limit");
        }
    }

    public sealed class Handler(IDocumentStore store, NpgsqlDataSource database) : IRequestHandler<GetEvents, IAsyncEnumerable<FeedEvent>>
    {
        private readonly EventLogReader _log = new(store, _ => true);

        // The events are read lazily, as the response is written, so a large NDJSON page streams.
        public ValueTask<IAsyncEnumerable<FeedEvent>> Handle(GetEvents query, CancellationToken cancellationToken) =>
            ValueTask.FromResult(Read(query, cancellationToken));

        private async IAsyncEnumerable<FeedEvent> Read(
            GetEvents query, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await using var connection = await database.OpenConnectionAsync(cancellationToken);
            var (horizon, _) = await LogHorizon.ReadPastHeadAsync(connection, MaxHorizonWait, cancellationToken);
            await foreach (var row in _log.StreamEnvelopesAsync(connection, query.AfterSequence, horizon, query.Limit, cancellationToken))
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

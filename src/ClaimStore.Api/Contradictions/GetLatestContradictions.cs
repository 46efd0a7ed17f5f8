using ClaimStore.Api.ReadModel;
using ClaimStore.Domain.Contradictions;
using FluentValidation;
using Mediator;

namespace ClaimStore.Api.Contradictions;

/// <summary>A page of the contradictions that pass the filters, latest opened first, and how many pass them.</summary>
public sealed record LatestContradictions(int Total, IReadOnlyList<ContradictionView> Items);

/// <summary>
/// The filtered contradictions latest first, <paramref name="Skip"/> of them left out and <paramref name="Take"/> kept:
/// the workbench's lists. Only the contradictions a page shows become views; the rest are counted, not sorted.
/// </summary>
public sealed record GetLatestContradictions(GetContradictions Filter, int Skip, int Take) : IRequest<LatestContradictions>
{
    public const int MaxSkip = 100_000_000;

    public sealed class Validator : AbstractValidator<GetLatestContradictions>
    {
        public Validator(IValidator<GetContradictions> filter)
        {
            RuleFor(q => q.Filter).SetValidator(filter).OverridePropertyName("");
            RuleFor(q => q.Skip).InclusiveBetween(0, MaxSkip);
            RuleFor(q => q.Take).InclusiveBetween(1, 1000);
        }
    }

    public sealed class Handler(ReadModelFollower readModel) : IRequestHandler<GetLatestContradictions, LatestContradictions>
    {
        public async ValueTask<LatestContradictions> Handle(GetLatestContradictions query, CancellationToken cancellationToken)
        {
            var snapshot = await readModel.CurrentAsync(cancellationToken);
            // The heap keeps the Skip + Take latest; its top is the one that would be shown last, so it goes first.
            var keep = query.Skip + query.Take;
            var latest = new PriorityQueue<Contradiction, Contradiction>(Math.Min(keep + 1, 1024), ShownLater.Instance);
            var total = 0;
            foreach (var contradiction in GetContradictions.Matching(snapshot, query.Filter))
            {
                total++;
                latest.Enqueue(contradiction, contradiction);
                if (latest.Count > keep)
                {
                    latest.Dequeue();
                }
            }

            var ordered = new List<Contradiction>(latest.Count);
            while (latest.TryDequeue(out var contradiction, out _))
            {
                ordered.Add(contradiction);
            }

            ordered.Reverse();
            return new LatestContradictions(total, [.. ordered.Skip(query.Skip).Select(ContradictionView.From)]);
        }
    }

    /// <summary>Orders by how late a contradiction is shown: the earliest opened first, then the larger id.</summary>
    private sealed class ShownLater : IComparer<Contradiction>
    {
        public static readonly ShownLater Instance = new();

        public int Compare(Contradiction? x, Contradiction? y) =>
            x!.OpenedAt.UtcTicks != y!.OpenedAt.UtcTicks
                ? x.OpenedAt.UtcTicks.CompareTo(y.OpenedAt.UtcTicks)
                : string.CompareOrdinal(y.ContradictionId, x.ContradictionId);
    }
}

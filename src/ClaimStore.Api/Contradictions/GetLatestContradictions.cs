using ClaimStore.Api.ReadModel;
using ClaimStore.Storage;
using FluentValidation;
using Mediator;

namespace ClaimStore.Api.Contradictions;

/// <summary>A page of the contradictions that pass the filters, latest opened first, and how many pass them.</summary>
public sealed record LatestContradictions(int Total, IReadOnlyList<ContradictionView> Items);

/// <summary>
/// The filtered contradictions latest first (ties by id), <paramref name="Skip"/> of them left out and <paramref name="Take"/> kept:
/// the workbench's lists.
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

    public sealed class Handler(ReadSideProjector readSide, ReadSideTables tables) : IRequestHandler<GetLatestContradictions, LatestContradictions>
    {
        public async ValueTask<LatestContradictions> Handle(GetLatestContradictions query, CancellationToken cancellationToken)
        {
            await readSide.CatchUpAsync(cancellationToken);
            var (total, page) = await tables.LatestContradictionsAsync(query.Filter.ToFilter(), query.Skip, query.Take, cancellationToken);
            return new LatestContradictions((int)Math.Min(total, int.MaxValue), [.. page.Select(ContradictionView.From)]);
        }
    }
}

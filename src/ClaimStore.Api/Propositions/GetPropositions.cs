using ClaimStore.Api.ReadModel;
using ClaimStore.Domain.Claims;
using ClaimStore.Domain.Propositions;
using ClaimStore.Storage;
using Mediator;

namespace ClaimStore.Api.Propositions;

/// <summary>
/// Every proposition with at least one live claim, and who affirms or denies it now: read from the table as the
/// response is written, so millions of them never sit in the host's memory at once.
/// </summary>
public sealed record GetPropositions : IRequest<IAsyncEnumerable<PropositionSummary>>
{
    public sealed class Handler(ReadSideProjector readSide, ReadSideTables tables) : IRequestHandler<GetPropositions, IAsyncEnumerable<PropositionSummary>>
    {
        public async ValueTask<IAsyncEnumerable<PropositionSummary>> Handle(GetPropositions query, CancellationToken cancellationToken)
        {
            // The wait is what a database outage fails first, before the response has begun, so it still maps to 503.
            await readSide.CatchUpAsync(cancellationToken);
            return tables.PropositionsAsync(cancellationToken).Select(p => new PropositionSummary(
                p.Proposition.Key, p.Proposition.Subject, p.Proposition.Predicate, p.Proposition.Object, p.AffirmedBy, p.DeniedBy));
        }
    }
}

/// <summary>One proposition with every actor's current stance; null when no live claim is about it.</summary>
public sealed record GetProposition(string PropositionKey) : IRequest<PropositionDetail?>
{
    public sealed class Handler(ReadSideProjector readSide, ReadSideTables tables) : IRequestHandler<GetProposition, PropositionDetail?>
    {
        public async ValueTask<PropositionDetail?> Handle(GetProposition query, CancellationToken cancellationToken)
        {
            await readSide.CatchUpAsync(cancellationToken);
            return await tables.PropositionAsync(query.PropositionKey, cancellationToken) is { } view ? PropositionDetail.From(view) : null;
        }
    }
}

public sealed record PropositionSummary(
    string PropositionKey, string Subject, string Predicate, string? Object,
    IReadOnlyList<string> AffirmedBy, IReadOnlyList<string> DeniedBy)
{
    // Stances are kept sorted by actor id, so these lists are too.
    public static PropositionSummary From(PropositionView view) => new(
        view.Key, view.Proposition.Subject, view.Proposition.Predicate, view.Proposition.Object,
        [.. view.Stances.Where(s => s.Stance == Stance.Affirms).Select(s => s.ActorId)],
        [.. view.Stances.Where(s => s.Stance == Stance.Denies).Select(s => s.ActorId)]);
}

public sealed record PropositionDetail(
    string PropositionKey, string Subject, string Predicate, string? Object,
    IReadOnlyList<string> AffirmedBy, IReadOnlyList<string> DeniedBy, IReadOnlyList<ActorStance> Stances)
{
    public static PropositionDetail From(PropositionView view)
    {
        var summary = PropositionSummary.From(view);
        return new(summary.PropositionKey, summary.Subject, summary.Predicate, summary.Object,
            summary.AffirmedBy, summary.DeniedBy, view.Stances);
    }
}

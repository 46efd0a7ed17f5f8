using ClaimStore.Api.Http;
using ClaimStore.Api.ReadModel;
using ClaimStore.Domain.Contradictions;
using ClaimStore.Storage;
using FluentValidation;
using Mediator;

namespace ClaimStore.Api.Contradictions;

/// <summary>
/// Contradictions, filtered; sorted by <c>openedAt</c>, then <c>contradictionId</c>. Read from the table as the response
/// is written, so millions of them never sit in the host's memory at once.
/// </summary>
public sealed record GetContradictions(string? ActorId, string? PropositionKey, string? Kind, string? Status)
    : IRequest<IAsyncEnumerable<ContradictionView>>
{
    public static readonly string[] Kinds = ["opposing-stances", "self-reversal", "incompatible-quantities"];
    public static readonly string[] Statuses = ["open", "resolved"];

    public sealed class Validator : AbstractValidator<GetContradictions>
    {
        public Validator()
        {
            RuleFor(q => q.Kind).OneOf(Kinds).OverridePropertyName("kind");
            RuleFor(q => q.Status).OneOf(Statuses).OverridePropertyName("status");
        }
    }

    public sealed class Handler(ReadSideProjector readSide, ReadSideTables tables) : IRequestHandler<GetContradictions, IAsyncEnumerable<ContradictionView>>
    {
        public async ValueTask<IAsyncEnumerable<ContradictionView>> Handle(GetContradictions query, CancellationToken cancellationToken)
        {
            // The wait is what a database outage fails first, before the response has begun, so it still maps to 503.
            await readSide.CatchUpAsync(cancellationToken);
            return tables.ContradictionsAsync(query.ToFilter(), cancellationToken).Select(ContradictionView.From);
        }
    }

    /// <summary>The query's filters as the read side's tables take them.</summary>
    public ContradictionFilter ToFilter() => new(
        ActorId, PropositionKey,
        Kind is null ? null : Parse<ContradictionKind>(Kind),
        Status is null ? null : Parse<ContradictionStatus>(Status));

    private static T Parse<T>(string kebab) where T : struct, Enum =>
        Enum.Parse<T>(kebab.Replace("-", "", StringComparison.Ordinal), ignoreCase: true);
}

public sealed record ContradictionView(
    string ContradictionId,
    ContradictionKind Kind,
    string PropositionKey,
    IReadOnlyList<string> ActorIds,
    IReadOnlyList<Guid> ClaimIds,
    DateTimeOffset OpenedAt,
    DateTimeOffset? ResolvedAt,
    ContradictionStatus Status)
{
    public static ContradictionView From(Contradiction c) =>
        new(c.ContradictionId, c.Kind, c.PropositionKey, c.ActorIds, c.ClaimIds, c.OpenedAt, c.ResolvedAt, c.Status);
}

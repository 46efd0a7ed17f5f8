using ClaimStore.Api.Http;
using ClaimStore.Api.ReadModel;
using ClaimStore.Domain.Contradictions;
using ClaimStore.Domain.Propositions;
using FluentValidation;
using Mediator;

namespace ClaimStore.Api.Contradictions;

/// <summary>Contradictions, filtered; sorted by <c>openedAt</c>, then <c>contradictionId</c>.</summary>
public sealed record GetContradictions(string? ActorId, string? PropositionKey, string? Kind, string? Status)
    : IRequest<IReadOnlyList<ContradictionView>>
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

    public sealed class Handler(ReadModelFollower readModel) : IRequestHandler<GetContradictions, IReadOnlyList<ContradictionView>>
    {
        public async ValueTask<IReadOnlyList<ContradictionView>> Handle(GetContradictions query, CancellationToken cancellationToken)
        {
            var snapshot = await readModel.CurrentAsync(cancellationToken);
            return [.. Matching(snapshot, query)
                .OrderBy(c => c.OpenedAt.UtcTicks)
                .ThenBy(c => c.ContradictionId, StringComparer.Ordinal)
                .Select(ContradictionView.From)];
        }
    }

    /// <summary>The contradictions of <paramref name="snapshot"/> that pass the filters of <paramref name="query"/>, in no order.</summary>
    public static IEnumerable<Contradiction> Matching(ReadModelSnapshot snapshot, GetContradictions query)
    {
        var kind = query.Kind is null ? (ContradictionKind?)null : Parse<ContradictionKind>(query.Kind);
        var status = query.Status is null ? (ContradictionStatus?)null : Parse<ContradictionStatus>(query.Status);
        return snapshot.Contradictions(query.PropositionKey, query.ActorId)
            .Where(c => kind is null || c.Kind == kind)
            .Where(c => status is null || c.Status == status);
    }

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

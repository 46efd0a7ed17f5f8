using System.Collections.Immutable;
using ClaimStore.Domain.Actors;
using ClaimStore.Storage;

namespace ClaimStore.Api.Actors;

/// <summary>An actor's profile as clients send it.</summary>
public sealed record ActorInput(string? Name, string? Kind, IReadOnlyList<string?>? Aliases)
{
    public const int MaxNameLength = 200;
    public const int MaxAliases = 32;

    public static readonly string[] Kinds = ["state", "alliance", "organisation", "media", "person", "group"];

    public ActorProfile ToProfile() => new(
        Name!.Trim(),
        Enum.Parse<ActorKind>(Kind!, ignoreCase: true),
        Aliases is null ? [] : [.. Aliases.Select(a => a!.Trim())]);
}

/// <summary>An actor as responses show it.</summary>
public sealed record ActorView(string ActorId, string Name, ActorKind Kind, ImmutableArray<string> Aliases, int ClaimCount)
{
    public static ActorView From(ActorSummary summary, int claimCount) =>
        new(summary.Id, summary.Name, summary.Kind, summary.Aliases, claimCount);
}

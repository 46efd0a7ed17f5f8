namespace ClaimStore.Domain.Claims;

/// <summary>What is claimed: subject, predicate and an optional object, each a slug.</summary>
[GenerateSerializer, Immutable]
public sealed record Proposition(
    [property: Id(0)] string Subject,
    [property: Id(1)] string Predicate,
    [property: Id(2)] string? Object)
{
    /// <summary><c>subject:predicate</c> or <c>subject:predicate:object</c>.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string Key => Object is null ? $"{Subject}:{Predicate}" : $"{Subject}:{Predicate}:{Object}";
}

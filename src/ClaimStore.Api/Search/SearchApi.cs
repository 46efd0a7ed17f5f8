using Mediator;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ClaimStore.Api.Search;

/// <summary>Finding claims across actors: by words of their quotes and sources, and by filters.</summary>
internal static class SearchApi
{
    public static IEndpointRouteBuilder MapSearch(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/claims", SearchClaims).WithTags("Claims").WithName(nameof(SearchClaims));
        return routes;
    }

    public static async Task<Ok<ClaimPage>> SearchClaims(
        string? q, string? actorId, string? propositionKey, string? language, string? statedFrom, string? statedTo,
        bool? includeRetracted, int? limit, string? cursor, IMediator mediator, CancellationToken cancellationToken) =>
        TypedResults.Ok(await mediator.Send(
            new SearchClaims(q, actorId, propositionKey, language, statedFrom, statedTo, includeRetracted ?? false,
                limit ?? Search.SearchClaims.DefaultLimit, cursor),
            cancellationToken));
}

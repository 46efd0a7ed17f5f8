using ClaimStore.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace ClaimStore.Grains.Actors;

public static class GrainsServiceCollectionExtensions
{
    /// <summary>
    /// What a silo's actor grains need: the storage (<see cref="StorageServiceCollectionExtensions.AddClaimStoreStorage"/>)
    /// and the silo's <see cref="LocalPositions"/>.
    /// </summary>
    public static IServiceCollection AddClaimStoreGrains(
        this IServiceCollection services, string connectionString, DatabaseTimeouts? timeouts = null)
    {
        services.AddClaimStoreStorage(connectionString, timeouts);
        services.AddSingleton<LocalPositions>();
        return services;
    }
}

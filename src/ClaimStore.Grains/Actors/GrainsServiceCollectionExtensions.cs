using ClaimStore.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace ClaimStore.Grains.Actors;

public static class GrainsServiceCollectionExtensions
{
    /// <summary>
    /// What a silo's actor grains need: the storage (<see cref="StorageServiceCollectionExtensions.AddClaimStoreStorage"/>)
    /// the silo's <see cref="LocalPositions"/> and its <see cref="LedgerBudget"/> (configure <see cref="LedgerBudgetOptions"/>).
    /// </summary>
    public static IServiceCollection AddClaimStoreGrains(
        this IServiceCollection services, string connectionString, DatabaseTimeouts? timeouts = null)
    {
        services.AddClaimStoreStorage(connectionString, timeouts);
        services.AddSingleton<LocalPositions>();
        services.AddOptions<LedgerBudgetOptions>();
        services.AddSingleton<LedgerBudget>();
        return services;
    }
}

using Npgsql;

namespace ClaimStore.Storage;

/// <summary>Whether PostgreSQL answers, for health checks.</summary>
public sealed class DatabaseProbe(NpgsqlDataSource database)
{
    /// <summary>True when a trivial statement comes back within <paramref name="timeout"/>.</summary>
    public async Task<bool> AnswersAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        try
        {
            await using var command = database.CreateCommand("select 1");
            await command.ExecuteScalarAsync(limit.Token);
            return true;
        }
        catch (Exception ex) when (ex is NpgsqlException or OperationCanceledException or TimeoutException)
        {
            return false;
        }
    }
}

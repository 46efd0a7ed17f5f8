using Npgsql;

namespace ClaimStore.Storage;

/// <summary>Which failures come from the database server or the connection to it, for the host's error mapping.</summary>
public static class DatabaseFailures
{
    /// <summary>PostgreSQL refused, dropped or failed a command: the store was out of reach, not the request wrong.</summary>
    public static bool IsDatabaseFailure(Exception exception) => exception is NpgsqlException;
}

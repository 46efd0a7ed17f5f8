using Npgsql;

namespace ClaimStore.Storage;

/// <summary>Which failures come from the database server or the connection to it, for the host's error mapping.</summary>
public static class DatabaseFailures
{
    /// <summary>An error from PostgreSQL or from the connection to it (Npgsql's exceptions, the server's errors among them).</summary>
    public static bool IsDatabaseFailure(Exception exception) => exception is NpgsqlException;
}

using Npgsql;

namespace ClaimStore.Storage;

/// <summary>Whether a follower's tables are in place already, so that a host starting needs no lock to create them.</summary>
internal static class SchemaCheck
{
    /// <summary>
    /// True when every one of <paramref name="tables"/> exists and <paramref name="marked"/> carries
    /// <paramref name="format"/> in its comment. The tables, their indexes and the comment are made in one
    /// transaction, and a new shape of them comes with a new format, so nothing else needs checking.
    /// </summary>
    public static async Task<bool> InFormatAsync(
        NpgsqlConnection connection, string marked, string format, string[] tables, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "select obj_description(to_regclass($1), 'pg_class') = $2 and bool_and(to_regclass(t) is not null) from unnest($3::text[]) t",
            connection)
        {
            Parameters =
            {
                new NpgsqlParameter<string> { TypedValue = marked },
                new NpgsqlParameter<string> { TypedValue = format },
                new NpgsqlParameter<string[]> { TypedValue = tables },
            },
        };
        return await command.ExecuteScalarAsync(cancellationToken) is true;
    }
}

using Npgsql;

namespace ClaimStore.Storage;

/// <summary>
/// A small pool of its own for the statements that read many pages: the log followers' rounds (<see cref="ReadSideTables"/>,
/// <see cref="ClaimSearchIndex"/>) and searches. PostgreSQL maps a shared buffer into a backend at that backend's first
/// touch, and Npgsql hands out idle connections in turn; over the main pool the same pages would be mapped afresh by
/// every connection, while these few backends stay warm.
/// </summary>
public sealed class ScanConnections(NpgsqlDataSource source) : IAsyncDisposable, IDisposable
{
    /// <summary>Connections at most: the two followers' rounds and a few searches at once (more wait for one).</summary>
    public const int MaxPoolSize = 6;

    public NpgsqlDataSource Source { get; } = source;

    public ValueTask DisposeAsync() => Source.DisposeAsync();

    // A container disposed synchronously may hold it too.
    public void Dispose() => Source.Dispose();
}

using ClaimStore.Domain.Actors;
using ClaimStore.Domain.Claims;
using ClaimStore.Storage;
using Marten;
using Npgsql;
using SessionOptions = Marten.Services.SessionOptions;

namespace ClaimStore.IntegrationTests.Infrastructure;

/// <summary>
/// An append caught between drawing its sequence numbers and committing, as <see cref="ActorStreams"/>
/// makes it (announced to the log's readers, then Marten's batch), held open until the test ends it.
/// </summary>
public sealed class InFlightAppend : IAsyncDisposable
{
    private readonly NpgsqlConnection _connection;
    private readonly NpgsqlTransaction _transaction;

    private InFlightAppend(NpgsqlConnection connection, NpgsqlTransaction transaction, string actorId, Guid claimId, long sequence)
    {
        _connection = connection;
        _transaction = transaction;
        ActorId = actorId;
        ClaimId = claimId;
        Sequence = sequence;
    }

    public string ActorId { get; }

    /// <summary>The claim it records (the actor's second event, after its registration).</summary>
    public Guid ClaimId { get; }

    /// <summary>The sequence number its claim drew.</summary>
    public long Sequence { get; }

    /// <param name="store">The store to append through.</param>
    /// <param name="connectionString">The store's database.</param>
    /// <param name="actorId">A new actor, registered and given one claim by the append.</param>
    /// <param name="idleTimeoutSeconds">How long PostgreSQL lets the transaction sit idle; by default ClaimStore's.</param>
    public static async Task<InFlightAppend> StartAsync(IDocumentStore store, string connectionString, string actorId, int? idleTimeoutSeconds = null)
    {
        var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        var transaction = await connection.BeginTransactionAsync();
        await LogHorizon.AnnounceAppendAsync(
            connection, idleTimeoutSeconds ?? DatabaseTimeouts.Default.AppendIdleTimeoutSeconds, CancellationToken.None);
        var claim = TestData.Claim("inflight");
        await using (var session = store.LightweightSession(SessionOptions.ForTransaction(transaction)))
        {
            session.Events.StartStream(actorId,
                new ActorRegistered(actorId, "In flight", ActorKind.Organisation, [], DateTimeOffset.UtcNow),
                new ClaimRecorded(claim.ClaimId, actorId, claim.Content, DateTimeOffset.UtcNow));
            await session.SaveChangesAsync();
        }

        await using var command = new NpgsqlCommand(
            $"select seq_id from {StorageTables.Events} where stream_id = @actor and version = 2",
            connection, transaction);
        command.Parameters.AddWithValue("actor", actorId);
        var sequence = (long)(await command.ExecuteScalarAsync())!;
        return new InFlightAppend(connection, transaction, actorId, claim.ClaimId, sequence);
    }

    public Task CommitAsync() => _transaction.CommitAsync();

    public Task RollbackAsync() => _transaction.RollbackAsync();

    public async ValueTask DisposeAsync()
    {
        await _transaction.DisposeAsync();
        await _connection.DisposeAsync();
    }
}

using ClaimStore.Storage;
using Npgsql;

namespace ClaimStore.IntegrationTests.Reliability;

/// <summary>What the audit found in the store, for the test output.</summary>
public sealed record AuditFigures(int Streams, int Events, int StoredClaims, int AcknowledgedClaims, int StoredButNeverAcknowledged, long LongestStream)
{
    public override string ToString() =>
        $"store: {Streams} streams, {Events} events, {StoredClaims} claims stored; {AcknowledgedClaims} acknowledged claims each stored exactly once "
        + $"at the version acknowledged; {StoredButNeverAcknowledged} stored but never acknowledged; versions 1..n contiguous in every stream (longest {LongestStream})";
}

/// <summary>
/// Reads what PostgreSQL holds (not what any grain remembers) and checks it against the claims a
/// load submitted and got acknowledged.
/// </summary>
public static class StoreAudit
{
    private const string Schema = StorageTables.Schema;

    /// <summary>
    /// Asserts, for the streams of <paramref name="load"/>'s actors: every acknowledged claim is stored
    /// exactly once, in its actor's stream, at the version its acknowledgement named; every stream's
    /// versions are 1..n without a gap or a repeat, start with the registration and match the stream's
    /// recorded version; and no claim is stored that the load did not submit.
    /// </summary>
    public static async Task<AuditFigures> AssertExactlyOnceAsync(string connectionString, ClaimLoad load)
    {
        var submitted = load.AllClaims.ToDictionary(c => c.ClaimId);
        var actors = load.Actors.ToArray();
        var events = new List<(Guid Id, string Stream, long Version, string Type)>();
        var streamVersions = new Dictionary<string, long>(StringComparer.Ordinal);
        await using (var connection = new NpgsqlConnection(connectionString))
        {
            await connection.OpenAsync();
            await using (var command = new NpgsqlCommand(
                $"select id, stream_id, version, type from {Schema}.mt_events where stream_id = any(@actors) order by stream_id, version", connection))
            {
                command.Parameters.AddWithValue("actors", actors);
                await using var reader = await command.ExecuteReaderAsync();
                while (await reader.ReadAsync())
                {
                    events.Add((reader.GetGuid(0), reader.GetString(1), reader.GetInt64(2), reader.GetString(3)));
                }
            }

            await using (var command = new NpgsqlCommand($"select id, version from {Schema}.mt_streams where id = any(@actors)", connection))
            {
                command.Parameters.AddWithValue("actors", actors);
                await using var reader = await command.ExecuteReaderAsync();
                while (await reader.ReadAsync())
                {
                    streamVersions[reader.GetString(0)] = reader.GetInt64(1);
                }
            }

            // Exactly once in the whole store, not only in the expected stream.
            await using (var command = new NpgsqlCommand(
                $"select id, count(*) from {Schema}.mt_events where id = any(@ids) group by id having count(*) <> 1", connection))
            {
                command.Parameters.AddWithValue("ids", submitted.Keys.ToArray());
                await using var reader = await command.ExecuteReaderAsync();
                Assert.False(await reader.ReadAsync(), "A claim id is stored more than once.");
            }
        }

        // Versions: 1..n per stream, registration first, the stream row agreeing.
        foreach (var stream in events.GroupBy(e => e.Stream))
        {
            var versions = stream.Select(e => e.Version).ToArray();
            Assert.Equal(Enumerable.Range(1, versions.Length).Select(v => (long)v), versions);
            Assert.Equal("actor_registered", Normalize(stream.First().Type));
            Assert.True(streamVersions.TryGetValue(stream.Key, out var recorded), $"No stream row for {stream.Key}.");
            Assert.Equal(versions.Length, recorded);
        }

        // Claims: every stored one was submitted to that actor; every acknowledged one is stored where and as acknowledged.
        var claims = events.Where(e => Normalize(e.Type) == "claim_recorded").ToDictionary(e => e.Id);
        foreach (var stored in claims.Values)
        {
            Assert.True(submitted.TryGetValue(stored.Id, out var planned), $"Stored claim {stored.Id} in {stored.Stream} was never submitted.");
            Assert.Equal(planned.ActorId, stored.Stream);
        }

        foreach (var ack in load.Acknowledged.Values)
        {
            Assert.True(claims.TryGetValue(ack.Claim.ClaimId, out var stored),
                $"Acknowledged claim {ack.Claim.ClaimId} of {ack.Claim.ActorId} (version {ack.Version}) is not in the store.");
            Assert.Equal(ack.Claim.ActorId, stored.Stream);
            Assert.Equal(ack.Version, stored.Version);
        }

        return new AuditFigures(
            events.Select(e => e.Stream).Distinct().Count(),
            events.Count,
            claims.Count,
            load.AcknowledgedCount,
            claims.Keys.Count(id => !load.Acknowledged.ContainsKey(id)),
            events.Count == 0 ? 0 : events.Max(e => e.Version));
    }

    /// <summary>Marten's event type alias, whichever spelling it uses (ClaimRecorded or claim_recorded).</summary>
    private static string Normalize(string type) =>
        string.Concat(type.Select((c, i) => char.IsUpper(c) && i > 0 && type[i - 1] != '_' ? "_" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));
}

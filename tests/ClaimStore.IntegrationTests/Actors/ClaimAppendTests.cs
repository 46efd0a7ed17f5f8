using ClaimStore.Domain.Actors;
using ClaimStore.Domain.Claims;
using ClaimStore.IntegrationTests.Infrastructure;
using ClaimStore.Storage;
using Marten;
using Npgsql;

namespace ClaimStore.IntegrationTests.Actors;

/// <summary>The set-based append of claims (decision 0010) against Marten's own append, on one database.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ClaimAppendTests(ClusterFixture fixture)
{
    private ClaimAppend Append => new(fixture.Store, LogHorizon.AnnounceSql(DatabaseTimeouts.Default.AppendIdleTimeoutSeconds));

    private async Task<string> RegisteredAsync()
    {
        var actorId = TestData.ActorId();
        await fixture.Streams.AppendAsync(actorId, 0, [new ActorRegistered(actorId, "NATO", ActorKind.Alliance, ["Allianz"], DateTimeOffset.UtcNow)]);
        return actorId;
    }

    private static ClaimRecorded Recorded(string actorId, ClaimSubmission claim, DateTimeOffset at) =>
        new(claim.ClaimId, actorId, claim.Content, at);

    private async Task<NpgsqlConnection> OpenAsync()
    {
        var connection = new NpgsqlConnection(fixture.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    private async Task<List<(long Sequence, long Version, string Xmin)>> RowsAsync(string actorId)
    {
        await using var connection = await OpenAsync();
        await using var command = new NpgsqlCommand(
            "select seq_id, version, xmin::text from claimstore.mt_events where stream_id = @actor order by version", connection);
        command.Parameters.AddWithValue("actor", actorId);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<(long, long, string)>();
        while (await reader.ReadAsync())
        {
            rows.Add((reader.GetInt64(0), reader.GetInt64(1), reader.GetString(2)));
        }

        return rows;
    }

    private async Task<long> StreamVersionAsync(string actorId)
    {
        await using var connection = await OpenAsync();
        await using var command = new NpgsqlCommand("select version from claimstore.mt_streams where id = @actor", connection);
        command.Parameters.AddWithValue("actor", actorId);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task Commit_OneClaim_StoresTheRowMartensAppendStores()
    {
        var byMarten = await RegisteredAsync();
        var bySet = await RegisteredAsync();
        // Text beyond ASCII, which ClaimAppend hands to PostgreSQL as the serializer's bytes: stored as Marten stores it.
        var plain = TestData.Claim();
        var content = plain with { Content = plain.Content with { Quote = "„Wir liefern keine Drohnen.“ – Ü, 中国, 🛩" } };
        var at = DateTimeOffset.UtcNow;
        // A retraction with the claim sends this append through Marten's session.
        await fixture.Streams.AppendAsync(byMarten, 1,
            [Recorded(byMarten, content, at), new ClaimRetracted(content.ClaimId, byMarten, null, at)]);
        var other = content with { ClaimId = Guid.NewGuid() };

        await using (var connection = await OpenAsync())
        {
            await Append.CommitAsync(connection, [(bySet, 1L, [Recorded(bySet, other, at)])]);
        }

        await using var compare = await OpenAsync();
        await using var command = new NpgsqlCommand(
            """
            select m.type = s.type, m.mt_dotnet_type = s.mt_dotnet_type, m.tenant_id = s.tenant_id,
                   m.is_archived = s.is_archived, m.bdata is null and s.bdata is null, s.id = @claim,
                   m.data - 'claimId' - 'actorId' = s.data - 'claimId' - 'actorId', s.data ->> 'actorId' = @actor,
                   abs(extract(epoch from m.timestamp - s.timestamp)) < 60
            from claimstore.mt_events m, claimstore.mt_events s
            where m.stream_id = @marten and m.version = 2 and s.stream_id = @actor and s.version = 2
            """, compare);
        command.Parameters.AddWithValue("marten", byMarten);
        command.Parameters.AddWithValue("actor", bySet);
        command.Parameters.AddWithValue("claim", other.ClaimId);
        await using (var reader = await command.ExecuteReaderAsync())
        {
            Assert.True(await reader.ReadAsync());
            Assert.All(Enumerable.Range(0, reader.FieldCount), i => Assert.True(reader.GetBoolean(i), $"column {i} differs"));
        }

        Assert.Equal(2, await StreamVersionAsync(bySet));
        await using var session = fixture.Store.QuerySession();
        var read = Assert.IsType<ClaimRecorded>((await session.Events.FetchStreamAsync(bySet))[1].Data);
        Assert.Equal((other.ClaimId, bySet, at), (read.ClaimId, read.ActorId, read.RecordedAt));
        Assert.Equal(other.Content.Quote, read.Claim.Quote);
        Assert.Equal(other.Content.ReportedVia.ToArray(), read.Claim.ReportedVia.ToArray());
    }

    [Fact]
    public async Task Commit_SeveralStreams_OneTransactionWithSequencesInVersionOrder()
    {
        var actors = new[] { await RegisteredAsync(), await RegisteredAsync(), await RegisteredAsync() };
        var at = DateTimeOffset.UtcNow;

        await using (var connection = await OpenAsync())
        {
            await Append.CommitAsync(connection, [.. actors.Select((a, i) =>
                (a, 1L, (IReadOnlyList<IActorEvent>)[.. Enumerable.Range(0, i + 2).Select(_ => Recorded(a, TestData.Claim(), at))]))]);
        }

        var rows = await Task.WhenAll(actors.Select(RowsAsync));
        for (var i = 0; i < actors.Length; i++)
        {
            Assert.Equal(Enumerable.Range(1, i + 3).Select(v => (long)v), rows[i].Select(r => r.Version));
            Assert.Equal(rows[i].Select(r => r.Sequence).Order(), rows[i].Select(r => r.Sequence));
            Assert.Equal(i + 3, await StreamVersionAsync(actors[i]));
        }

        Assert.Single(rows.SelectMany(r => r.Skip(1)).Select(r => r.Xmin).Distinct());
    }

    [Fact]
    public async Task Commit_OneStreamMovedOn_IsConflictAndStoresNothing()
    {
        var moved = await RegisteredAsync();
        var current = await RegisteredAsync();
        var at = DateTimeOffset.UtcNow;
        await fixture.Streams.AppendAsync(moved, 1, [Recorded(moved, TestData.Claim(), at)]);

        await using (var connection = await OpenAsync())
        {
            await Assert.ThrowsAsync<StreamVersionConflictException>(() => Append.CommitAsync(connection,
                [(current, 1L, [Recorded(current, TestData.Claim(), at)]), (moved, 1L, [Recorded(moved, TestData.Claim(), at)])]));
        }

        Assert.Equal([1L, 2], (await RowsAsync(moved)).Select(r => r.Version));
        Assert.Equal([1L], (await RowsAsync(current)).Select(r => r.Version));
        Assert.Equal(1, await StreamVersionAsync(current));
    }

    [Fact]
    public async Task Commit_ExpectedVersionAheadOfTheStream_IsConflictAndStoresNothing()
    {
        // No version collides here: only the stream row that did not move tells.
        var actorId = await RegisteredAsync();

        await using (var connection = await OpenAsync())
        {
            await Assert.ThrowsAsync<StreamVersionConflictException>(() => Append.CommitAsync(connection,
                [(actorId, 5L, [Recorded(actorId, TestData.Claim(), DateTimeOffset.UtcNow)])]));
        }

        Assert.Equal([1L], (await RowsAsync(actorId)).Select(r => r.Version));
        Assert.Equal(1, await StreamVersionAsync(actorId));
    }

    [Fact]
    public async Task Commit_ClaimIdStoredAlready_FailsOnTheEventIdIndexAndStoresNothing()
    {
        var actorId = await RegisteredAsync();
        var claim = TestData.Claim();
        var at = DateTimeOffset.UtcNow;
        await fixture.Streams.AppendAsync(actorId, 1, [Recorded(actorId, claim, at)]);
        var other = await RegisteredAsync();

        await using (var connection = await OpenAsync())
        {
            var failure = await Assert.ThrowsAsync<PostgresException>(() => Append.CommitAsync(connection,
                [(other, 1L, [Recorded(other, TestData.Claim(), at), Recorded(other, claim, at)])]));
            Assert.Equal(PostgresErrorCodes.UniqueViolation, failure.SqlState);
            Assert.Contains("event_id", failure.ConstraintName);
        }

        Assert.Equal([1L], (await RowsAsync(other)).Select(r => r.Version));
        Assert.Equal(1, await StreamVersionAsync(other));
    }
}

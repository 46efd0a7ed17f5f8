using ClaimStore.IntegrationTests.Infrastructure;
using ClaimStore.Storage;
using Npgsql;

namespace ClaimStore.IntegrationTests.ReadModel;

/// <summary>The search index is derived data: a table of an older format is dropped and built again from the log.</summary>
public sealed class SearchIndexFormatTests
{
    [Fact]
    public async Task EnsureCreated_TableOfAnOlderFormat_DroppedAndCheckpointReset()
    {
        await using var services = await TestStorage.CreateAsync("searchformat");
        var database = services.Database();
        await database.ExecuteAsync($"""
            create table {ClaimSearchIndex.Table} (claim_id uuid primary key, configuration regconfig, document tsvector);
            insert into {ClaimSearchIndex.Table} values (gen_random_uuid(), 'german', to_tsvector('german', 'Drohnen'));
            create table {ClaimSearchIndex.CheckpointTable} (name text primary key, sequence bigint not null);
            insert into {ClaimSearchIndex.CheckpointTable} values ('claims', 42);
            """);
        var index = services.SearchIndex();

        await index.EnsureCreatedAsync(CancellationToken.None);
        var afterUpgrade = await CountAsync(database);
        var checkpoint = await index.CheckpointAsync(CancellationToken.None);
        await database.ExecuteAsync($"update {ClaimSearchIndex.CheckpointTable} set sequence = 7");
        await index.EnsureCreatedAsync(CancellationToken.None);

        Assert.Equal(0, afterUpgrade);
        Assert.Equal(0, checkpoint);
        Assert.Equal(7, await index.CheckpointAsync(CancellationToken.None));
    }

    [Fact]
    public async Task EnsureCreated_IndexWithoutItsConfigurations_TakesThemFromItsLanguages()
    {
        await using var services = await TestStorage.CreateAsync("searchconfigs");
        var database = services.Database();
        var index = services.SearchIndex();
        await index.EnsureCreatedAsync(CancellationToken.None);
        // An index kept before the configurations were, with German, Austrian German, and no language.
        await database.ExecuteAsync($"""
            drop table {ClaimSearchIndex.ConfigurationsTable};
            insert into {ClaimSearchIndex.Table} (claim_id, sequence, actor_id, proposition_key, language, stated_at, document)
            values (gen_random_uuid(), 1, 'nato', 'k', 'de', now(), array_to_tsvector(array['de:drohn'])), (gen_random_uuid(), 2, 'nato', 'k', 'de-at', now(), array_to_tsvector(array['de:drohn'])),
                   (gen_random_uuid(), 3, 'nato', 'k', null, now(), array_to_tsvector(array['_:drones']));
            """);

        await index.EnsureCreatedAsync(CancellationToken.None);

        await using var command = database.CreateCommand(
            $"select string_agg(code || '=' || configuration, ',' order by code) from {ClaimSearchIndex.ConfigurationsTable}");
        Assert.Equal("_=simple,de=german", (string?)await command.ExecuteScalarAsync());
    }

    private static async Task<long> CountAsync(NpgsqlDataSource database)
    {
        await using var command = database.CreateCommand($"select count(*) from {ClaimSearchIndex.Table}");
        return (long)(await command.ExecuteScalarAsync())!;
    }
}

using ClaimStore.IntegrationTests.Infrastructure;
using ClaimStore.Storage;

namespace ClaimStore.IntegrationTests.ReadModel;

/// <summary>A search judges how common its words are from the statistics PostgreSQL keeps on the index's documents.</summary>
public sealed class SearchWordFrequenciesTests
{
    [Fact]
    public async Task ExpectedShare_AfterAnalyze_ShareOfRowsWithAllTheWords()
    {
        await using var services = await TestStorage.CreateAsync("searchfrequencies");
        var database = services.Database();
        await services.SearchIndex().EnsureCreatedAsync(CancellationToken.None);
        var empty = await new SearchWordFrequencies(database).ExpectedShareAsync("drones", CancellationToken.None);

        // 1,000 English documents: every one says "drones", every tenth "troops" too, and one "ceasefire".
        await database.ExecuteAsync($"""
            insert into {ClaimSearchIndex.ConfigurationsTable} values ('en', 'english');
            insert into {ClaimSearchIndex.Table} (claim_id, sequence, actor_id, proposition_key, language, stated_at, document)
            select gen_random_uuid(), g, 'nato', 'k', 'en', now(),
                array_to_tsvector(array(select 'en:' || l from unnest(tsvector_to_array(to_tsvector('english',
                    'drones ' || case when g % 10 = 0 then 'troops ' else '' end || case when g = 1 then 'ceasefire' else '' end))) l))
            from generate_series(1, 1000) g;
            analyze {ClaimSearchIndex.Table};
            """);
        var frequencies = new SearchWordFrequencies(database);

        Assert.Null(empty);
        Assert.Equal(1.0, (await frequencies.ExpectedShareAsync("drone", CancellationToken.None))!.Value, 2);
        Assert.Equal(0.1, (await frequencies.ExpectedShareAsync("troop", CancellationToken.None))!.Value, 2);
        Assert.Equal(0.1, (await frequencies.ExpectedShareAsync("drones troops", CancellationToken.None))!.Value, 2);
        Assert.InRange((await frequencies.ExpectedShareAsync("ceasefire", CancellationToken.None))!.Value, 0, 0.01);
        Assert.InRange((await frequencies.ExpectedShareAsync("word nobody wrote", CancellationToken.None))!.Value, 0, 0.01);
        Assert.Null(await frequencies.ExpectedShareAsync("the and of", CancellationToken.None));
    }
}

using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using ClaimStore.IntegrationTests.Infrastructure;
using Npgsql;

namespace ClaimStore.IntegrationTests.Api;

/// <summary>
/// <c>POST /actors/{actorId}/erasure</c> against the real host and PostgreSQL: the person's text leaves every table
/// of the database, while ids, stances, versions and contradictions stay as they were.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class ErasureApiTests(ApiFixture fixture)
{
    // Stream events since the last snapshot that make the grain write one (ActorSnapshots.Distance).
    private const int ClaimsForASnapshot = 510;

    private static readonly TimeSpan FeedWait = TimeSpan.FromSeconds(10);

    private readonly HttpClient _writer = fixture.CreateClient();
    private readonly HttpClient _admin = fixture.CreateClient(ApiFixture.AdminKey);

    [Fact]
    public async Task Erasure_OfAPerson_LeavesNoTextOfTheirsInAnyTableAndKeepsTheRecord()
    {
        var person = await PersonAsync();
        var subject = $"subject-{Guid.NewGuid():N}"[..20];

        // The person's own claims (enough for a snapshot), one of them retracted with a reason.
        var own = Enumerable.Range(0, ClaimsForASnapshot).Select(i => Claim(person.Id, "china", $"Aussage {person.Token} Nummer {i}", $"Kommentar {person.Token}")).ToList();
        own[0]["subject"] = subject;
        own[0]["predicate"] = "supports";
        own[0].Remove("object");
        await BatchAsync(own);
        await RetractAsync(person.Id, own[1]["claimId"]!.ToString(), $"Falsch zitiert, {person.Token}");

        // NATO's claims: spoken by the person, passed on by the person (then retracted), mentioning them, and unrelated.
        var nato = await _writer.RegisterAsync();
        var spoken = Claim(nato, subject, $"Wir stehen fest, sagte sie {person.Token}.", null, spokesperson: person.Id);
        spoken["predicate"] = "supports";
        spoken["stance"] = "denies";
        spoken.Remove("object");
        spoken.Remove("kind");
        var passedOn = Claim(nato, "iran", $"Weitergegeben {person.Token}.", null, reportedVia: person.Id);
        var mentioning = Claim(nato, "belarus", $"Laut {person.Name} und {person.Alias} ist das so, sagt {person.Kept}.", null);
        var unrelated = Claim(nato, "cuba", $"Nichts über sie, {person.Kept}.", null);
        await BatchAsync([spoken, passedOn, mentioning, unrelated]);
        await RetractAsync(nato, passedOn["claimId"]!.ToString(), $"Quelle {person.Token} unsicher");
        await WaitForSnapshotAsync(person.Id);

        var before = await ReadSideAsync(person.Id, nato, subject);
        Assert.Single(before.Contradictions.AsArray());
        Assert.NotEmpty(await FindAsync(person.Token));
        Assert.Contains(person.Token, await TextTablesAsync(person.Token));

        var response = await _admin.PostAsync($"/actors/{person.Id}/erasure", null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var erasure = await response.JsonAsync();
        Assert.Equal(("erased", "admin"), ((string)erasure["status"]!, (string)erasure["erasedBy"]!));
        // Two registrations, the person's claims and retraction, three of NATO's claims and one retraction.
        Assert.Equal(2 + ClaimsForASnapshot + 1 + 3 + 1, (int)erasure["rewrittenEvents"]!);

        Assert.Empty(await TextTablesAsync(person.Token, person.Name, person.Alias, person.FormerName));
        Assert.Contains(person.Kept, await TextTablesAsync(person.Kept)); // the scan sees text it must keep
        var after = await ReadSideAsync(person.Id, nato, subject);
        Assert.Equal(before.Positions.ToJsonString(), after.Positions.ToJsonString());
        Assert.Equal(before.Timeline.ToJsonString(), after.Timeline.ToJsonString());
        Assert.Equal(before.Contradictions.ToJsonString(), after.Contradictions.ToJsonString());
        Assert.Equal(before.NatoPositions.ToJsonString(), after.NatoPositions.ToJsonString());
        Assert.Equal(Identities(before.Claims), Identities(after.Claims));

        var claims = after.Claims.AsArray();
        Assert.All(claims, c => Assert.Equal("[erased]", (string)c!["quote"]!));
        Assert.Equal("[erased]", (string)claims[1]!["retraction"]!["reason"]!);
        var actor = await (await _writer.GetAsync($"/actors/{person.Id}")).JsonAsync();
        Assert.Equal(("[erased]", 0, ClaimsForASnapshot), ((string)actor["name"]!, actor["aliases"]!.AsArray().Count, (int)actor["claimCount"]!));
        Assert.Empty(await FindAsync(person.Token));
        Assert.Equal(2, (await FindAsync(person.Kept)).Count); // the other claims keep their own words

        var natoClaims = await (await _writer.GetAsync($"/actors/{nato}/claims")).Content.ReadAsStringAsync();
        Assert.DoesNotContain(person.Token, natoClaims, StringComparison.OrdinalIgnoreCase);
        Assert.Contains($"Laut [erased] und [erased] ist das so, sagt {person.Kept}.", natoClaims, StringComparison.Ordinal);
        var events = await (await _writer.GetAsync($"/actors/{person.Id}/events")).Content.ReadAsStringAsync();
        Assert.DoesNotContain(person.Token, events, StringComparison.OrdinalIgnoreCase);
        var erased = (await (await _writer.GetAsync($"/actors/{person.Id}/events")).JsonAsync()).AsArray()[^1]!;
        Assert.Equal(("ActorErased", "admin"), ((string)erased["type"]!, (string)erased["data"]!["erasedBy"]!));
        var log = await (await _writer.GetAsync($"/events?afterSequence={before.FirstSequence - 1}&limit=1000")).Content.ReadAsStringAsync();
        Assert.DoesNotContain(person.Token, log, StringComparison.OrdinalIgnoreCase);
        Assert.Contains(person.Kept, log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Erasure_Repeated_AnswersAlreadyErasedAndAppendsNothing()
    {
        var person = await PersonAsync();
        await BatchAsync([Claim(person.Id, "china", $"Einmal {person.Token}.", null)]);
        var first = await (await _admin.PostAsync($"/actors/{person.Id}/erasure", null)).JsonAsync();

        var response = await _admin.PostAsync($"/actors/{person.Id}/erasure", null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var second = await response.JsonAsync();
        Assert.Equal(("alreadyErased", (long)first["version"]!, 0), ((string)second["status"]!, (long)second["version"]!, (int)second["rewrittenEvents"]!));
        var events = (await (await _writer.GetAsync($"/actors/{person.Id}/events")).JsonAsync()).AsArray();
        Assert.Single(events, e => (string)e!["type"]! == "ActorErased");
    }

    [Fact]
    public async Task Erasure_WithWriterKey_Is403AndTheNameStays()
    {
        var person = await PersonAsync();

        var response = await _writer.PostAsync($"/actors/{person.Id}/erasure", null);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var actor = await (await _writer.GetAsync($"/actors/{person.Id}")).JsonAsync();
        Assert.Equal(person.Name, (string)actor["name"]!);
    }

    [Fact]
    public async Task Erasure_OfUnknownActor_Is404Problem()
    {
        var response = await _admin.PostAsync($"/actors/{TestData.ActorId("ghost")}/erasure", null);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Erasure_OfMalformedActorId_Is400ProblemNamingIt()
    {
        var response = await _admin.PostAsync("/actors/Not_A_Slug/erasure", null);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(["actorId"], await response.ErrorKeysAsync());
    }

    [Fact]
    public async Task RecordClaim_ErasedClaimAgainWithItsOriginalText_Is409AndStoresNothing()
    {
        var person = await PersonAsync();
        var claim = Claim(person.Id, "china", $"Original {person.Token}.", null);
        await BatchAsync([claim]);
        await _admin.PostAsync($"/actors/{person.Id}/erasure", null);

        var response = await _writer.PostJsonAsync($"/actors/{person.Id}/claims", RemoveActorId(claim));

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Empty(await TextTablesAsync(person.Token));
    }

    [Fact]
    public async Task EventStream_ResumedAfterAnErasure_SendsTheRewrittenText()
    {
        var person = await PersonAsync();
        var registered = (long)(await (await _writer.GetAsync($"/actors/{person.Id}/events")).JsonAsync())[0]!["sequence"]!;
        // While a client follows, the host keeps the events since it came framed in memory, text included.
        await using var live = await EventStreamReader.OpenAsync(_writer, $"/events/stream?afterSequence={registered - 1}&actorId={person.Id}");
        Assert.Equal(2, (await live.TakeAsync(2, FeedWait)).Count);
        await BatchAsync([Claim(person.Id, "china", $"Live {person.Token}.", null)]);
        var claim = (await live.TakeAsync(1, FeedWait))[0];
        Assert.Contains(person.Token, claim.Data, StringComparison.Ordinal);

        (await _admin.PostAsync($"/actors/{person.Id}/erasure", null)).EnsureSuccessStatusCode();
        Assert.Equal("ActorErased", (await live.TakeAsync(1, FeedWait))[0].Event);
        // Resuming just before the claim asks for what that memory held.
        await using var resumed = await EventStreamReader.OpenAsync(_writer, $"/events/stream?actorId={person.Id}", lastEventId: $"{long.Parse(claim.Id!, CultureInfo.InvariantCulture) - 1}");
        var again = await resumed.TakeAsync(2, FeedWait);

        Assert.Equal(["ClaimRecorded", "ActorErased"], again.Select(m => m.Event));
        Assert.All(again, m => Assert.DoesNotContain(person.Token, m.Data, StringComparison.OrdinalIgnoreCase));
    }

    private async Task<Person> PersonAsync()
    {
        // Text tokens unlike the ids, so finding one in a table means text, not an id.
        var token = $"tk{Guid.NewGuid():N}"[..14];
        var person = new Person(TestData.ActorId("person"), token, $"Jolanta Zw{token}", $"Jola{token}", $"Jolanta Alt{token}", $"kept{Guid.NewGuid():N}"[..14]);
        (await _writer.PutJsonAsync($"/actors/{person.Id}", new { name = person.FormerName, kind = "person", aliases = Array.Empty<string>() })).EnsureSuccessStatusCode();
        (await _writer.PutJsonAsync($"/actors/{person.Id}", new { name = person.Name, kind = "person", aliases = new[] { person.Alias } })).EnsureSuccessStatusCode();
        return person;
    }

    private static JsonObject Claim(string actorId, string subject, string quote, string? title, string? spokesperson = null, string? reportedVia = null)
    {
        var claim = HttpExtensions.ExampleClaim();
        claim["actorId"] = actorId;
        claim["subject"] = subject;
        claim["quote"] = quote;
        claim["source"]!["title"] = title;
        claim["source"]!["url"] = title is null ? null : $"https://example.org/{Uri.EscapeDataString(title)}";
        claim["spokesperson"] = spokesperson;
        claim["reportedVia"] = reportedVia is null ? new JsonArray() : new JsonArray(reportedVia);
        return claim;
    }

    private static JsonObject RemoveActorId(JsonObject claim)
    {
        var copy = claim.DeepClone().AsObject();
        copy.Remove("actorId");
        return copy;
    }

    private async Task BatchAsync(IEnumerable<JsonObject> claims)
    {
        var response = await _writer.PostJsonAsync("/claims/batch", new JsonObject { ["claims"] = new JsonArray([.. claims.Select(c => c.DeepClone())]) });
        response.EnsureSuccessStatusCode();
        Assert.All((await response.JsonAsync())["results"]!.AsArray(), r => Assert.Equal("created", (string)r!["status"]!));
    }

    private async Task RetractAsync(string actorId, string claimId, string reason) =>
        (await _writer.PostJsonAsync($"/actors/{actorId}/claims/{claimId}/retraction", new { reason })).EnsureSuccessStatusCode();

    private async Task<JsonArray> FindAsync(string word) =>
        (await (await _writer.GetAsync($"/claims?q={word}&includeRetracted=true")).JsonAsync())["claims"]!.AsArray();

    private async Task<ReadSide> ReadSideAsync(string personId, string nato, string subject)
    {
        async Task<JsonNode> Get(string path) => await (await _writer.GetAsync(path)).JsonAsync();
        var events = (await Get($"/actors/{personId}/events")).AsArray();
        return new ReadSide(
            await Get($"/actors/{personId}/positions"),
            await Get($"/actors/{personId}/timeline"),
            await Get($"/contradictions?propositionKey={subject}:supports"),
            await Get($"/actors/{nato}/positions"),
            await Get($"/actors/{personId}/claims"),
            (long)events[0]!["sequence"]!);
    }

    private static string[] Identities(JsonNode claims) =>
        [.. claims.AsArray().Select(c => $"{c!["claimId"]} {c["version"]} {c["stance"]} {c["statedAt"]} {c["retracted"]}")];

    private async Task WaitForSnapshotAsync(string actorId)
    {
        await using var connection = new NpgsqlConnection(fixture.ConnectionString);
        await connection.OpenAsync();
        for (var deadline = DateTime.UtcNow.AddSeconds(20); ; await Task.Delay(100))
        {
            await using var command = new NpgsqlCommand("select count(*) from claimstore.actor_snapshot_segments where actor_id = @a", connection);
            command.Parameters.AddWithValue("a", actorId);
            if ((long)(await command.ExecuteScalarAsync())! > 0)
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, "The grain wrote no snapshot.");
        }
    }

    /// <summary>
    /// Which of <paramref name="needles"/> occur, in any case, in any row of any table of the database (every column as
    /// text; bytea columns as hex, so the needles' UTF-8 bytes are looked for too).
    /// </summary>
    private async Task<List<string>> TextTablesAsync(params string[] needles)
    {
        await using var connection = new NpgsqlConnection(fixture.ConnectionString);
        await connection.OpenAsync();
        var tables = new List<string>();
        await using (var list = new NpgsqlCommand(
            """
            select format('%I.%I', table_schema, table_name) from information_schema.tables
            where table_type = 'BASE TABLE' and table_schema not in ('pg_catalog', 'information_schema')
            """, connection))
        await using (var reader = await list.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                tables.Add(reader.GetString(0));
            }
        }

        Assert.Contains("claimstore.mt_events", tables);
        var found = new List<string>();
        foreach (var table in tables)
        {
            await using var scan = new NpgsqlCommand(
                $"select count(*) from {table} t where t::text ilike any(@patterns)", connection);
            var patterns = needles.SelectMany(n => new[] { n, Convert.ToHexStringLower(Encoding.UTF8.GetBytes(n)) }).Select(n => $"%{n}%").ToArray();
            scan.Parameters.AddWithValue("patterns", patterns);
            if ((long)(await scan.ExecuteScalarAsync())! > 0)
            {
                await using var which = new NpgsqlCommand($"select t::text from {table} t where t::text ilike any(@patterns)", connection);
                which.Parameters.AddWithValue("patterns", patterns);
                await using var rows = await which.ExecuteReaderAsync();
                while (await rows.ReadAsync())
                {
                    var row = rows.GetString(0);
                    found.AddRange(needles.Where(n => row.Contains(n, StringComparison.OrdinalIgnoreCase)
                        || row.Contains(Convert.ToHexStringLower(Encoding.UTF8.GetBytes(n)), StringComparison.OrdinalIgnoreCase)));
                }
            }
        }

        return [.. found.Distinct()];
    }

    private sealed record Person(string Id, string Token, string Name, string Alias, string FormerName, string Kept);

    private sealed record ReadSide(JsonNode Positions, JsonNode Timeline, JsonNode Contradictions, JsonNode NatoPositions, JsonNode Claims, long FirstSequence);
}

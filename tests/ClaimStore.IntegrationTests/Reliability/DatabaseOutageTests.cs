using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text;
using ClaimStore.IntegrationTests.Infrastructure;
using ClaimStore.Storage;
using ClaimStore.Testing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Xunit.Abstractions;

namespace ClaimStore.IntegrationTests.Reliability;

/// <summary>
/// PostgreSQL taken away under a write load, three times, with the host never restarted: stopped
/// cleanly (<c>pg_ctl stop -m fast</c>, as an operator or a failover does), crashed (<c>-m immediate</c>:
/// no checkpoint, the restart replays the write-ahead log) and frozen (SIGSTOP: connections open,
/// nothing answers, as with a hung server or a network that drops packets).
/// </summary>
[Collection(ReliabilityCollection.Name)]
public sealed class DatabaseOutageTests(ITestOutputHelper output)
{
    private const int Actors = 16;
    private const int Writers = 8;
    private const int ClaimsPerWriter = 120;

    // The host's database timeouts in this test: short, so that waiting on them shows.
    private const int ConnectTimeoutSeconds = 2;
    private const int CommandTimeoutSeconds = 2;

    // A stopped server refuses connections, a crashed one resets them: a request may take one connect and one
    // command that Npgsql gives up on (it waits twice the command timeout: the timeout, then as long again for the
    // cancellation), plus scheduling slack on two busy cores.
    private static readonly TimeSpan StoppedAnswerLimit = TimeSpan.FromSeconds(ConnectTimeoutSeconds + (2 * CommandTimeoutSeconds) + 1);

    // A hung server answers nothing: the append in flight fails after a command timeout (twice over), the appends
    // queued behind it at once, and the next one after a connect timeout; a request may meet both, plus slack.
    private static readonly TimeSpan HungAnswerLimit = TimeSpan.FromSeconds(2 * (ConnectTimeoutSeconds + (2 * CommandTimeoutSeconds)) + 2);

    // Longer than any answer may take: an attempt that runs into it fails the test as a hang.
    private static readonly TimeSpan AttemptTimeout = HungAnswerLimit + TimeSpan.FromSeconds(5);

    private static readonly TimeSpan RecoveryLimit = TimeSpan.FromSeconds(10);

    private static readonly Fault[] Faults =
    [
        new("stop -m fast", AtShare: 0.15, TimeSpan.FromSeconds(3)),
        new("stop -m immediate", AtShare: 0.4, TimeSpan.FromSeconds(3)),
        new("freeze", AtShare: 0.65, TimeSpan.FromSeconds(6)),
    ];

    [Fact]
    public async Task PostgresStoppedCrashedAndFrozenUnderLoad_Answers503InBoundedTime_LosesNothing_RecoversByItself()
    {
        // A server of its own (the test kit's embedded one), since this test stops it; same port after each restart.
        await using var postgres = await ClaimStorePostgres.StartAsync();
        var connectionString = await postgres.CreateDatabaseAsync("outage", withSchema: true);
        await using var host = new InProcessHost(connectionString, new Dictionary<string, string?>
        {
            [DatabaseTimeouts.ConnectTimeoutKey] = ConnectTimeoutSeconds.ToString(CultureInfo.InvariantCulture),
            [DatabaseTimeouts.CommandTimeoutKey] = CommandTimeoutSeconds.ToString(CultureInfo.InvariantCulture),
        });
        using var client = host.CreateClient();
        client.Timeout = Timeout.InfiniteTimeSpan;
        var configured = new NpgsqlConnectionStringBuilder(host.Services.GetRequiredService<NpgsqlDataSource>().ConnectionString);
        Assert.Equal((ConnectTimeoutSeconds, CommandTimeoutSeconds), (configured.Timeout, configured.CommandTimeout));

        var actors = Enumerable.Range(0, Actors).Select(i => TestData.ActorId($"outage{i}")).ToArray();
        await Task.WhenAll(actors.Select(a => HttpClaims.RegisterAsync([client], a, TimeSpan.FromSeconds(20))));

        var load = new ClaimLoad(actors, Writers, ClaimsPerWriter);
        var answers = new ConcurrentQueue<Answer>();
        var run = load.RunAsync((claim, _, ct) => PostAsync(client, claim, load, answers, ct), TimeSpan.FromSeconds(120));

        var outages = new List<Outage>();
        foreach (var fault in Faults)
        {
            await load.WaitForAcknowledgementsAsync((int)(load.Total * fault.AtShare), run, TimeSpan.FromSeconds(40));
            var stopping = load.Now;
            var frozen = fault.Mode == "freeze";
            try
            {
                if (frozen)
                {
                    postgres.Freeze();
                }
                else
                {
                    await postgres.HaltAsync(immediate: fault.Mode == "stop -m immediate");
                }

                var down = load.Now;
                await Task.Delay(fault.Downtime / 2);
                var health = await HealthAsync(client, load);
                await Task.Delay(fault.Downtime / 2);
                var restarting = load.Now;
                if (frozen)
                {
                    frozen = false;
                    postgres.Thaw();
                }
                else
                {
                    await postgres.ResumeAsync();
                }

                outages.Add(new Outage(fault.Mode, stopping, down, restarting, load.Now, health.Status, health.Took));
            }
            finally
            {
                // Never leave a frozen server behind: nothing could stop it.
                if (frozen)
                {
                    postgres.Thaw();
                }
            }
        }

        await run;

        output.WriteLine($"Database:ConnectTimeoutSeconds={ConnectTimeoutSeconds}, Database:CommandTimeoutSeconds={CommandTimeoutSeconds}. {load.Summary()}");
        foreach (var outage in outages)
        {
            output.WriteLine(outage.Describe(load, answers));
        }

        output.WriteLine($"Host log: {DescribeLog(host)}");
        foreach (var unexpected in host.Logged.Where(l => l.Exception.Length > 0 && !l.Exception.Contains("Npgsql", StringComparison.Ordinal)
            && !l.Exception.Contains("Postgres", StringComparison.Ordinal)).DistinctBy(l => l.Exception).Take(5))
        {
            output.WriteLine($"Unexpected in the host log: {unexpected.Category}: {unexpected.Message}\n{unexpected.Detail}");
        }

        Assert.Empty(load.FatalAnswers);
        Assert.Equal(load.Total, load.AcknowledgedCount);
        // Every failure is a 503 problem with Retry-After: never a 500.
        var failed = answers.Where(a => !a.Acknowledged).ToArray();
        Assert.All(failed, a => Assert.True(
            a.Status == HttpStatusCode.ServiceUnavailable && a.Problem && a.RetryAfter, $"Expected 503 problem+json with Retry-After, got {a}"));
        foreach (var outage in outages)
        {
            var limit = outage.Mode == "freeze" ? HungAnswerLimit : StoppedAnswerLimit;
            Assert.True(outage.FailedAnswers(answers).Length > 0, $"No request failed during {outage.Mode}: the load missed it.");
            Assert.True(outage.Slowest(answers) < limit, $"During {outage.Mode} a request took {outage.Slowest(answers).TotalSeconds:F2} s; the limit is {limit.TotalSeconds} s.");
            Assert.True(outage.HealthDuringOutage == HttpStatusCode.ServiceUnavailable, $"/health during {outage.Mode}: {outage.HealthDuringOutage}");
            var recovered = outage.RecoveredAfter(load);
            Assert.True(recovered < RecoveryLimit, $"Writes succeeded again {recovered.TotalSeconds:F1} s after {outage.Mode} ended.");
        }

        var audit = await StoreAudit.AssertExactlyOnceAsync(connectionString, load);
        output.WriteLine(audit.ToString());
        Assert.Equal(0, audit.StoredButNeverAcknowledged);

        // A crash between insert and commit can leave a Marten tombstone; the log and the read side pass over it.
        var events = await StatusAsync(client, "/events?afterSequence=0&limit=1000");
        var contradictions = await StatusAsync(client, "/contradictions");
        output.WriteLine($"Tombstones left by appends cut off mid-commit: {await TombstonesAsync(connectionString)}; "
            + $"GET /events afterwards: {(int)events}, GET /contradictions: {(int)contradictions}.");
        Assert.Equal(HttpStatusCode.OK, events);
        Assert.Equal(HttpStatusCode.OK, contradictions);
    }

    private static async Task<long> TombstonesAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            $"select count(*) from {StorageTables.Events} where type = 'tombstone'", connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }

    /// <summary>The answer to a GET once the host has caught up: a 503 (read side behind) is asked again for up to 15 s.</summary>
    private static async Task<HttpStatusCode> StatusAsync(HttpClient client, string path)
    {
        var until = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            using var response = await client.GetAsync(new Uri(path, UriKind.Relative), timeout.Token);
            if (response.StatusCode != HttpStatusCode.ServiceUnavailable || DateTime.UtcNow > until)
            {
                return response.StatusCode;
            }

            await Task.Delay(250);
        }
    }

    private static async Task<AttemptResult> PostAsync(
        HttpClient client, PlannedClaim claim, ClaimLoad load, ConcurrentQueue<Answer> answers, CancellationToken cancellationToken)
    {
        var started = load.Now;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(AttemptTimeout);
        using var content = new StringContent(HttpClaims.Body(claim), Encoding.UTF8, "application/json");
        HttpResponseMessage response;
        try
        {
            response = await client.PostAsync(new Uri($"/actors/{claim.ActorId}/claims", UriKind.Relative), content, deadline.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            answers.Enqueue(new Answer(started, load.Now - started, 0, false, false, "no answer (hang)"));
            return AttemptResult.Fatal($"no answer within {AttemptTimeout.TotalSeconds} s");
        }

        using (response)
        {
            var body = await response.Content.ReadAsStringAsync(CancellationToken.None);
            answers.Enqueue(new Answer(started, load.Now - started, response.StatusCode,
                response.Content.Headers.ContentType?.MediaType == "application/problem+json", response.Headers.RetryAfter is not null,
                body.Length > 200 ? body[..200] : body));
            return response.StatusCode switch
            {
                HttpStatusCode.Created => new AttemptResult(AttemptKind.Created, System.Text.Json.Nodes.JsonNode.Parse(body)!["version"]!.GetValue<long>()),
                HttpStatusCode.OK => new AttemptResult(AttemptKind.Unchanged, System.Text.Json.Nodes.JsonNode.Parse(body)!["version"]!.GetValue<long>()),
                HttpStatusCode.ServiceUnavailable => AttemptResult.Retry($"HTTP {(int)response.StatusCode}"),
                _ => AttemptResult.Fatal($"HTTP {(int)response.StatusCode}: {body}"),
            };
        }
    }

    private static async Task<(HttpStatusCode Status, TimeSpan Took)> HealthAsync(HttpClient client, ClaimLoad load)
    {
        var started = load.Now;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        using var response = await client.GetAsync(new Uri("/health", UriKind.Relative), timeout.Token);
        return (response.StatusCode, load.Now - started);
    }

    private static string Describe(IEnumerable<Answer> answers) =>
        string.Join(", ", answers.GroupBy(a => a.Status).Select(g => $"{(int)g.Key} ×{g.Count()}"));

    private static string DescribeLog(InProcessHost host) =>
        string.Join("; ", host.Logged.GroupBy(l => $"{l.Level} {l.Category[(l.Category.LastIndexOf('.') + 1)..]}: {l.Exception}")
            .OrderByDescending(g => g.Count()).Take(12).Select(g => $"{g.Key} ×{g.Count()}"));

    /// <summary>A fault: what is done to the server, once this share of the claims is acknowledged, for how long.</summary>
    private sealed record Fault(string Mode, double AtShare, TimeSpan Downtime);

    /// <summary>One answer to a POST: when it was sent, how long it took, what it was.</summary>
    private sealed record Answer(TimeSpan Started, TimeSpan Duration, HttpStatusCode Status, bool Problem, bool RetryAfter, string Body)
    {
        public TimeSpan Ended => Started + Duration;

        public bool Acknowledged => Status is HttpStatusCode.Created or HttpStatusCode.OK;
    }

    /// <summary>One outage: fault applied, server down, fault lifted, server up again.</summary>
    private sealed record Outage(
        string Mode, TimeSpan Stopping, TimeSpan Down, TimeSpan Restarting, TimeSpan Up, HttpStatusCode HealthDuringOutage, TimeSpan HealthTook)
    {
        /// <summary>Requests that were under way at some moment of the outage: answered after it began, sent before the server was back.</summary>
        public Answer[] During(IEnumerable<Answer> answers) => [.. answers.Where(a => a.Ended >= Stopping && a.Started <= Up)];

        public Answer[] FailedAnswers(IEnumerable<Answer> answers) => [.. During(answers).Where(a => !a.Acknowledged)];

        public TimeSpan Slowest(IEnumerable<Answer> answers) => During(answers).Select(a => a.Duration).DefaultIfEmpty().Max();

        /// <summary>From the server being back to the end of the first acknowledged attempt sent after that.</summary>
        public TimeSpan RecoveredAfter(ClaimLoad load) => load.Acknowledged.Values
            .Where(a => a.Started >= Up)
            .Select(a => a.Ended - Up)
            .DefaultIfEmpty(TimeSpan.MaxValue)
            .Min();

        public string Describe(ClaimLoad load, IEnumerable<Answer> answers)
        {
            var during = During(answers);
            var failed = during.Where(a => !a.Acknowledged).ToArray();
            var acknowledgedWhileDown = load.Acknowledged.Values.Count(a => a.Ended > Down && a.Ended < Restarting);
            return $"{Mode} at {Stopping.TotalSeconds:F2} s (effective after {(Down - Stopping).TotalSeconds:F2} s), lifted at {Restarting.TotalSeconds:F2} s "
                + $"(server up after {(Up - Restarting).TotalSeconds:F2} s): {during.Length} requests under way, {failed.Length} failed "
                + $"({DatabaseOutageTests.Describe(failed)}); failures answered in {Percentile(failed, 0.5):F3} s median, {Percentile(failed, 1):F3} s at most; "
                + $"slowest answer of any kind {Slowest(answers).TotalSeconds:F3} s; /health said {(int)HealthDuringOutage} in {HealthTook.TotalSeconds:F2} s; "
                + $"{acknowledgedWhileDown} acknowledged while it was down; writes acknowledged again {RecoveredAfter(load).TotalSeconds:F2} s after the server was back.";
        }

        private static double Percentile(Answer[] answers, double share) => answers.Length == 0
            ? 0
            : answers.Select(a => a.Duration.TotalSeconds).Order().ElementAt((int)Math.Min(answers.Length - 1, Math.Floor(share * answers.Length)));
    }
}

using System.Net;
using System.Text;

namespace ClaimStore.Benchmarks.Infrastructure;

/// <summary>The few ClaimStore calls the scenarios make besides the measured ones.</summary>
public static class StoreApi
{
    public static HttpClient CreateClient(Uri baseAddress, int maxConnections = 64) => CreateClient([baseAddress], maxConnections);

    /// <summary>A client that sends each request to the next of <paramref name="hosts"/> in turn, as a load balancer would.</summary>
    public static HttpClient CreateClient(IReadOnlyList<Uri> hosts, int maxConnections = 64)
    {
        var sockets = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = maxConnections,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            UseCookies = false,
            UseProxy = false,
        };
        return new(hosts.Count == 1 ? sockets : new RoundRobin(hosts) { InnerHandler = sockets })
        {
            BaseAddress = hosts[0],
            Timeout = TimeSpan.FromSeconds(120),
        };
    }

    public static StringContent JsonContent(string json) => new(json, Encoding.UTF8, "application/json");

    /// <summary>PUT /actors/{id} for each id, <paramref name="concurrency"/> at a time.</summary>
    public static async Task RegisterActorsAsync(HttpClient client, IReadOnlyList<string> actorIds, int concurrency = 32)
    {
        await Parallel.ForEachAsync(actorIds, new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (id, ct) =>
        {
            using var response = await client.PutAsync(
                $"actors/{id}", JsonContent($$"""{"name": "Actor {{id}}", "kind": "organisation", "aliases": []}"""), ct);
            if (response.StatusCode is not (HttpStatusCode.Created or HttpStatusCode.OK))
            {
                throw new InvalidOperationException($"PUT /actors/{id} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(ct)}");
            }
        });
    }

    /// <summary>
    /// POST /claims/batch, again after a 503 as a client would (the same claim ids, so nothing is stored twice);
    /// throws unless every item was stored.
    /// </summary>
    public static async Task PostBatchAsync(HttpClient client, IReadOnlyCollection<(string ActorId, ClaimSpec Claim)> items)
    {
        var json = ClaimData.BatchJson(items);
        for (var attempt = 1; ; attempt++)
        {
            using var response = await client.PostAsync("claims/batch", JsonContent(json));
            var body = await response.Content.ReadAsStringAsync();
            if (response.StatusCode == HttpStatusCode.ServiceUnavailable && attempt < 10)
            {
                Interlocked.Increment(ref _unavailable);
                await Task.Delay(TimeSpan.FromSeconds(1));
                continue;
            }

            if (response.StatusCode != HttpStatusCode.OK || body.Contains("\"rejected\"", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"POST /claims/batch answered {(int)response.StatusCode}: {body[..Math.Min(body.Length, 600)]}");
            }

            return;
        }
    }

    private static long _unavailable;

    /// <summary>How many batches the host answered with 503 (and were sent again) in this run.</summary>
    public static long UnavailableAnswers => Interlocked.Read(ref _unavailable);

    /// <summary>Posts <paramref name="items"/> in batches of <paramref name="batchSize"/>, <paramref name="concurrency"/> batches at a time.</summary>
    public static async Task IngestAsync(
        HttpClient client, IEnumerable<(string ActorId, ClaimSpec Claim)> items, int batchSize, int concurrency, Action<long>? progress = null)
    {
        long done = 0;
        await Parallel.ForEachAsync(items.Chunk(batchSize), new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (chunk, _) =>
        {
            await PostBatchAsync(client, chunk);
            progress?.Invoke(Interlocked.Add(ref done, chunk.Length));
        });
    }

    /// <summary>GET /contradictions waits for the host's read side to reach the log head: a cheap way to wait for it.</summary>
    public static Task WaitForReadSideAsync(HttpClient client, TimeSpan timeout) =>
        WaitUntilAnsweredAsync(client, "contradictions?propositionKey=none:none", "The read side", timeout);

    /// <summary>A search waits until the index holds every claim acknowledged before it, or answers 503 after 5 s.</summary>
    public static Task WaitForSearchIndexAsync(HttpClient client, TimeSpan timeout) =>
        WaitUntilAnsweredAsync(client, "claims?q=nothing&limit=1", "The search index", timeout);

    private static async Task WaitUntilAnsweredAsync(HttpClient client, string path, string follower, TimeSpan timeout)
    {
        var until = DateTime.UtcNow + timeout;
        while (true)
        {
            using var response = await client.GetAsync(path);
            if (response.IsSuccessStatusCode)
            {
                return;
            }

            if (DateTime.UtcNow > until)
            {
                throw new TimeoutException($"{follower} did not catch up within {timeout}: {(int)response.StatusCode}.");
            }

            await Task.Delay(500);
        }
    }

    private sealed class RoundRobin(IReadOnlyList<Uri> hosts) : DelegatingHandler
    {
        private long _next;

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var host = hosts[(int)((ulong)Interlocked.Increment(ref _next) % (ulong)hosts.Count)];
            request.RequestUri = new Uri(host, request.RequestUri!.PathAndQuery);
            return base.SendAsync(request, cancellationToken);
        }
    }
}

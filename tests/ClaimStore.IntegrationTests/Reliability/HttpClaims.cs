using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace ClaimStore.IntegrationTests.Reliability;

/// <summary>A client of the HTTP API as the fault tests use it: claims posted with a deadline per attempt.</summary>
public static class HttpClaims
{
    /// <summary>A client without a timeout of its own (each attempt has one) that never reuses a dead host's connection for long.</summary>
    public static HttpClient Client(Uri baseAddress) => new(new SocketsHttpHandler
    {
        PooledConnectionLifetime = TimeSpan.FromSeconds(30),
        ConnectTimeout = TimeSpan.FromSeconds(2),
    })
    {
        BaseAddress = baseAddress,
        Timeout = Timeout.InfiniteTimeSpan,
    };

    /// <summary>
    /// The claim's body: the same for every attempt, so a retry is the same claim. Each claim names a proposition of
    /// its own (object <c>item-wN-i</c>), affirmed by its actor alone.
    /// </summary>
    public static string Body(PlannedClaim claim) => new JsonObject
    {
        ["claimId"] = claim.ClaimId.ToString(),
        ["subject"] = "reliability",
        ["predicate"] = "holds",
        ["object"] = $"item-w{claim.Writer + 1}-{claim.Index}",
        ["stance"] = "affirms",
        ["kind"] = "assertion",
        ["statedAt"] = "2024-12-04T00:00:00Z",
    }.ToJsonString();

    /// <summary>
    /// A body for loads that must give the read side work: twenty propositions, each affirmed by some writers and
    /// denied by others over the days, so contradictions open and close as the claims arrive.
    /// </summary>
    public static string ContestedBody(PlannedClaim claim) => new JsonObject
    {
        ["claimId"] = claim.ClaimId.ToString(),
        ["subject"] = "reliability",
        ["predicate"] = "holds",
        ["object"] = $"item-{claim.Index % 20}",
        ["stance"] = (claim.Writer + claim.Index / 20) % 2 == 0 ? "affirms" : "denies",
        ["kind"] = "assertion",
        ["statedAt"] = new DateTimeOffset(2024, 12, 4, 0, 0, 0, TimeSpan.Zero).AddDays(claim.Index / 20).AddMinutes(claim.Writer).ToString("O"),
    }.ToJsonString();

    /// <summary>
    /// POSTs <paramref name="claim"/>. 201 and 200 acknowledge it; 503, 429, 502, 504, timeouts and
    /// connection failures are worth a retry; anything else, a 500 above all, is an answer the test must not get.
    /// </summary>
    public static async Task<AttemptResult> PostAsync(
        HttpClient client, PlannedClaim claim, TimeSpan timeout, CancellationToken cancellationToken, Func<PlannedClaim, string>? body = null)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            using var content = new StringContent((body ?? Body)(claim), Encoding.UTF8, "application/json");
            using var response = await client.PostAsync(new Uri($"/actors/{claim.ActorId}/claims", UriKind.Relative), content, deadline.Token);
            var answer = await response.Content.ReadAsStringAsync(deadline.Token);
            return response.StatusCode switch
            {
                HttpStatusCode.Created => new AttemptResult(AttemptKind.Created, Version(answer)),
                HttpStatusCode.OK => new AttemptResult(AttemptKind.Unchanged, Version(answer)),
                HttpStatusCode.ServiceUnavailable or HttpStatusCode.TooManyRequests or HttpStatusCode.BadGateway or HttpStatusCode.GatewayTimeout => AttemptResult.Retry($"HTTP {(int)response.StatusCode}"),
                _ => AttemptResult.Fatal($"HTTP {(int)response.StatusCode}: {answer}"),
            };
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return AttemptResult.Retry("no answer within the attempt timeout");
        }
        catch (HttpRequestException ex)
        {
            return AttemptResult.Retry($"connection failed ({ex.HttpRequestError})");
        }
    }

    /// <summary>Registers <paramref name="actorId"/>, trying the clients in turn until one answers 201 or 200.</summary>
    public static async Task RegisterAsync(IReadOnlyList<HttpClient> clients, string actorId, TimeSpan limit)
    {
        var clock = Stopwatch.StartNew();
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                using var content = new StringContent($$"""{"name":"{{actorId}}","kind":"state"}""", Encoding.UTF8, "application/json");
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                using var response = await clients[attempt % clients.Count].PutAsync(new Uri($"/actors/{actorId}", UriKind.Relative), content, timeout.Token);
                if (response.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK)
                {
                    return;
                }

                if (response.StatusCode is not HttpStatusCode.ServiceUnavailable)
                {
                    throw new InvalidOperationException($"PUT /actors/{actorId}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException && clock.Elapsed < limit)
            {
                // Retried below.
            }

            if (clock.Elapsed > limit)
            {
                throw new TimeoutException($"Could not register {actorId} within {limit.TotalSeconds} s.");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>GETs the actor's claims; returns their count.</summary>
    public static async Task<int> CountClaimsAsync(HttpClient client, string actorId)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        using var response = await client.GetAsync(new Uri($"/actors/{actorId}/claims", UriKind.Relative), timeout.Token);
        response.EnsureSuccessStatusCode();
        return JsonNode.Parse(await response.Content.ReadAsStringAsync(timeout.Token))!.AsArray().Count;
    }

    /// <summary>True for an RFC 9457 problem with a Retry-After header, as a 503 must be.</summary>
    public static bool IsRetryableProblem(HttpResponseMessage response) =>
        response.StatusCode == HttpStatusCode.ServiceUnavailable
        && response.Content.Headers.ContentType is MediaTypeHeaderValue { MediaType: "application/problem+json" }
        && response.Headers.RetryAfter is not null;

    private static long Version(string body) => JsonNode.Parse(body)!["version"]!.GetValue<long>();
}

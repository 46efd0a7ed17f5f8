using System.Net;
using System.Net.Http.Json;

namespace FactDesk;

/// <summary>A claim as the fact desk publishes it; the id is chosen here, so a retry can never record it twice.</summary>
public sealed record DeskClaim(Guid ClaimId, string ActorId, string Subject, string Predicate, string? Object, string Stance, DateTimeOffset StatedAt, string Quote);

/// <summary>
/// The team's own client: publishes claims to any of several ClaimStore hosts and moves on to the next
/// host when one fails to answer, because a claim id makes every retry safe.
/// </summary>
public sealed class ClaimPublisher(IReadOnlyList<HttpClient> hosts, int attempts = 8)
{
    /// <summary>How many requests the last <see cref="PublishAsync"/> took.</summary>
    public int LastAttempts { get; private set; }

    public async Task PublishAsync(DeskClaim claim, CancellationToken cancellationToken = default)
    {
        var body = new
        {
            claimId = claim.ClaimId,
            subject = claim.Subject,
            predicate = claim.Predicate,
            @object = claim.Object,
            stance = claim.Stance,
            statedAt = claim.StatedAt.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture),
            quote = claim.Quote,
        };
        for (var attempt = 1; ; attempt++)
        {
            LastAttempts = attempt;
            var host = hosts[(attempt - 1) % hosts.Count];
            try
            {
                using var response = await host.PostAsJsonAsync($"actors/{claim.ActorId}/claims", body, cancellationToken);
                if (response.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK)
                {
                    return;
                }

                // 4xx other than 429 will not change on another host.
                if ((int)response.StatusCode < 500 && response.StatusCode != HttpStatusCode.TooManyRequests)
                {
                    throw new InvalidOperationException(
                        $"ClaimStore refused claim {claim.ClaimId}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken)}");
                }
            }
            catch (HttpRequestException) when (attempt < attempts)
            {
                // The host went away mid-request: try the next one.
            }

            if (attempt >= attempts)
            {
                throw new InvalidOperationException($"Claim {claim.ClaimId} not published after {attempts} attempts.");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt), cancellationToken);
        }
    }
}

using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using System.Text.Json;
using ClaimStore.Domain.Claims;

namespace ClaimStore.Benchmarks.Infrastructure;

/// <summary>One generated claim: every scenario and every baseline stores the same ones.</summary>
public sealed record ClaimSpec(Guid ClaimId, int Proposition, bool Affirms, DateTimeOffset StatedAt, int Number)
{
    private static readonly string[] Predicates = ["sends-drones-to", "supplies-arms-to", "threatens", "supports"];

    public string Subject => $"topic-{Proposition}";

    public string Predicate => Predicates[Proposition % Predicates.Length];

    public string Object => $"party-{Proposition % 97}";

    public string PropositionKey => $"{Subject}:{Predicate}:{Object}";

    public string Quote => $"Benchmark claim {Number}: „we have said so before and we say it again“, a spokesperson said.";

    public string Url => $"https://example.org/articles/{Number}";

    /// <summary>The source's title; none unless a scenario gives one (the search scenario's words).</summary>
    public string? Title { get; init; }
}

/// <summary>
/// Claims as the benchmark sends them: subject, predicate, object, stance (85 % affirms), kind,
/// statedAt within 2024, a quote of about 90 characters, language and a source: about 450 bytes of JSON.
/// </summary>
public static class ClaimData
{
    public static readonly DateTimeOffset Year = new(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static int _number;

    public static ClaimSpec Random(Random random, int propositions) => new(
        Guid.CreateVersion7(),
        random.Next(propositions),
        random.NextDouble() < 0.85,
        Year.AddMinutes(random.Next(366 * 24 * 60)),
        Interlocked.Increment(ref _number));

    public static ClaimSpec Fixed(int proposition, bool affirms, DateTimeOffset statedAt) =>
        new(Guid.CreateVersion7(), proposition, affirms, statedAt, Interlocked.Increment(ref _number));

    /// <summary>The body of <c>POST /actors/{id}/claims</c>, or with <paramref name="actorId"/> an item of <c>POST /claims/batch</c>.</summary>
    public static string Json(ClaimSpec claim, string? actorId = null, string? subject = null)
    {
        var buffer = new MemoryStream(512);
        using (var json = new Utf8JsonWriter(buffer))
        {
            Write(json, claim, actorId, subject);
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>The body of <c>POST /claims/batch</c>.</summary>
    public static string BatchJson(IEnumerable<(string ActorId, ClaimSpec Claim)> items)
    {
        var buffer = new MemoryStream(512 * 1024);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartArray("claims");
            foreach (var (actorId, claim) in items)
            {
                Write(json, claim, actorId, null);
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>The same claim as the domain stores it (for the Marten baseline).</summary>
    public static ClaimContent Content(ClaimSpec claim) => new(
        new Proposition(claim.Subject, claim.Predicate, claim.Object),
        claim.Affirms ? Stance.Affirms : Stance.Denies,
        claim.Affirms ? SpeechAct.Accusation : SpeechAct.Denial,
        claim.StatedAt,
        claim.Quote,
        "en",
        new ClaimSource("AFP", claim.Url, null, null),
        ImmutableArray<string>.Empty,
        null,
        Certainty.Certain,
        null,
        null);

    private static void Write(Utf8JsonWriter json, ClaimSpec claim, string? actorId, string? subject)
    {
        json.WriteStartObject();
        if (actorId is not null)
        {
            json.WriteString("actorId", actorId);
        }

        json.WriteString("claimId", claim.ClaimId);
        json.WriteString("subject", subject ?? claim.Subject);
        json.WriteString("predicate", claim.Predicate);
        json.WriteString("object", claim.Object);
        json.WriteString("stance", claim.Affirms ? "affirms" : "denies");
        json.WriteString("kind", claim.Affirms ? "accusation" : "denial");
        json.WriteString("statedAt", claim.StatedAt.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture));
        json.WriteString("quote", claim.Quote);
        json.WriteString("language", "en");
        json.WriteStartObject("source");
        json.WriteString("publisher", "AFP");
        json.WriteString("url", claim.Url);
        if (claim.Title is not null)
        {
            json.WriteString("title", claim.Title);
        }

        json.WriteEndObject();
        json.WriteEndObject();
    }
}

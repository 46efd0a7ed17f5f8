using System.Collections.Frozen;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace ClaimStore.Api.Reference;

/// <summary>
/// What the OpenAPI document (and so the reference page) says about each operation beyond what the
/// handlers' signatures tell: a summary, a description, every parameter's meaning with an example,
/// a request example, and the 400 problem every validated input can answer. Kept in one table so
/// the document reads as one text; docs/api.md is the long form.
/// </summary>
internal static class OperationDescriptions
{
    private sealed record Operation(
        string Summary, string Description, JsonNode? RequestExample = null, bool Validated = true, bool Unavailable = false);

    private const string ActorId = "The actor's slug: lowercase letters, digits and hyphens (`nato`, `north-korea`).";
    private const string PropositionKey = "`subject:predicate:object`, or `subject:predicate` without an object (`china:sends-drones-to:russia`).";

    private static readonly FrozenDictionary<string, (string Description, JsonNode? Example)> Parameters = new Dictionary<string, (string, JsonNode?)>
    {
        ["actorId"] = (ActorId, "nato"),
        ["claimId"] = ("The claim's id (a UUID).", "3f2b8c1e-0000-4000-8000-000000000001"),
        ["propositionKey"] = (PropositionKey, "china:sends-drones-to:russia"),
        ["asOf"] = ("Valid time: keep claims with `statedAt` at or before this instant (ISO 8601 with an offset).", "2024-12-04T12:00:00Z"),
        ["knownAt"] = ("Transaction time: keep claims recorded at or before this instant, as the record stood then.", "2024-12-05T00:00:00Z"),
        ["q"] = ("Words that must all occur in the quote or the source title, with the inflections of the claim's language; at most 500 characters.", "Drohnen"),
        ["language"] = ("A BCP 47 tag; `en` also keeps `en-GB` and `en-US`.", "de"),
        ["statedFrom"] = ("Keep claims with `statedAt` at or after this instant.", "2024-12-01T00:00:00Z"),
        ["statedTo"] = ("Keep claims with `statedAt` at or before this instant.", "2024-12-31T23:59:59Z"),
        ["includeRetracted"] = ("Include retracted claims (left out by default).", false),
        ["limit"] = ("How many items at most: search 1–500 (default 50); the log 1–1,000 (default 1,000), 1–100,000 as NDJSON.", 50),
        ["cursor"] = ("The `nextCursor` of the previous page; only with the same filters.", null),
        ["kind"] = ("`opposing-stances`, `self-reversal` or `incompatible-quantities`.", "opposing-stances"),
        ["status"] = ("`open` or `resolved`.", "open"),
        ["fromVersion"] = ("The first stream version to return (default 1).", 1),
        ["types"] = ("Comma-separated event type names (`ClaimRecorded`, `ClaimRetracted`, `ActorRegistered`, `ActorProfileChanged`, `ActorErased`): only events of those types.", "ClaimRetracted"),
        ["afterSequence"] = ("Return events after this global sequence number (default 0: from the start).", 0),
        ["Last-Event-ID"] = ("Resume a feed: every event after this sequence, then live (takes precedence over `afterSequence`).", "1042"),
    }.ToFrozenDictionary();

    private static readonly FrozenDictionary<string, Operation> Operations = new Dictionary<string, Operation>
    {
        ["RegisterActor"] = new("Register or update an actor",
            "Idempotent: 201 when the actor is new, 200 when it was updated or is unchanged; the body is the actor.",
            new JsonObject { ["name"] = "NATO", ["kind"] = "alliance", ["aliases"] = new JsonArray("Allianz") }),
        ["GetActor"] = new("One actor", "404 when the actor was never registered."),
        ["EraseActor"] = new("Erase a person's data (GDPR)",
            "Admin key. Replaces the actor's name and aliases, and the quote, source title and source URL of every claim the actor made, "
            + "spoke (`spokesperson`) or passed on (`reportedVia`), with `[erased]` (the URL is removed) in the stored events, the search index "
            + "and the actor list; mentions of the names in other claims' text become `[erased]` too. Ids, stances, times, versions and "
            + "contradictions stay. Appends one `ActorErased` event naming the key. 200 with `status` `erased`, or `alreadyErased` when "
            + "repeated (nothing appended again); 400 for a malformed actor id, 404 for an unregistered actor."),
        ["GetActors"] = new("Every actor", "Sorted by id; `claimCount` counts every claim recorded, retracted ones included.", Validated: false),
        ["RecordClaim"] = new("Record a claim",
            "201 with `Location` when appended; the same `claimId` with the same content again: 200 and nothing appended; "
            + "with other content or under another actor: 409. 404 for an unregistered actor.",
            new JsonObject
            {
                ["claimId"] = "3f2b8c1e-0000-4000-8000-000000000001",
                ["subject"] = "china", ["predicate"] = "sends-drones-to", ["object"] = "russia",
                ["stance"] = "affirms", ["kind"] = "accusation", ["statedAt"] = "2024-12-04T00:00:00Z",
                ["quote"] = "China wird seinerseits von der Allianz beschuldigt, Drohnen nach Russland geschickt zu haben.",
                ["language"] = "de",
                ["source"] = new JsonObject { ["publisher"] = "AFP", ["url"] = "https://example.org/a", ["publishedAt"] = "2024-12-04T18:00:00Z" },
                ["reportedVia"] = new JsonArray("afp"),
                ["certainty"] = "certain",
            }),
        ["GetClaims"] = new("An actor's claims", "Every claim in stream order, retracted ones marked. 404 for an unregistered actor."),
        ["GetClaim"] = new("One claim", "404 when the actor has no such claim."),
        ["RetractClaim"] = new("Retract a claim",
            "Withdraws the claim from the record from now on; it stays in the history, marked `retracted`. Idempotent; 404 for an unknown claim.",
            new JsonObject { ["reason"] = "misattributed" }),
        ["RecordClaimBatch"] = new("Record up to 1,000 claims",
            "Each valid item is stored exactly as a single POST would store it; invalid ones are rejected without affecting the others. "
            + "200 with one result per item: `created`, `unchanged` or `rejected` with its errors.",
            new JsonObject
            {
                ["claims"] = new JsonArray(new JsonObject
                {
                    ["actorId"] = "nato", ["subject"] = "china", ["predicate"] = "sends-drones-to", ["object"] = "russia",
                    ["stance"] = "affirms", ["kind"] = "accusation", ["statedAt"] = "2024-12-04T00:00:00Z",
                }),
            }),
        ["GetPositions"] = new("An actor's positions",
            "Each proposition the actor holds a position on, as of `asOf` (valid time) and as recorded by `knownAt` (transaction time). "
            + "A write is visible as soon as its POST returned."),
        ["GetTimeline"] = new("How an actor's positions moved",
            "Per proposition, the maximal periods along valid time in which the actor's position stayed the same."),
        ["SearchClaims"] = new("Search claims",
            "Claims across actors, newest `statedAt` first, filtered by words, actor, proposition, language and time; paged with `cursor`. "
            + "Waits until the index holds every claim acknowledged before the query (at most 5 s, else 503)."),
        ["GetContradictions"] = new("Contradictions",
            "Opposing stances, self-reversals and incompatible quantities among the live claims, each with the valid-time period it held."),
        ["GetActorEvents"] = new("An actor's event stream", "The raw events of one actor's stream from `fromVersion` on."),
        ["GetEvents"] = new("The global event log",
            "Events in global order after `afterSequence`, gap-free; `nextAfterSequence` continues. `Accept: application/x-ndjson` streams one event per line."),
        ["FollowEvents"] = new("Follow the global log live (Server-Sent Events)",
            "Every event after `afterSequence` (or `Last-Event-ID`), then each new one as it is recorded; a keep-alive comment while idle."),
        ["FollowContradictions"] = new("Follow contradictions live (Server-Sent Events)",
            "`contradiction-opened`, `contradiction-updated` and `contradiction-withdrawn` messages as claims change the list; live only."),
        ["GetPropositions"] = new("Propositions", "Every proposition with a live claim, and who affirms and who denies it now.", Validated: false),
        ["GetProposition"] = new("One proposition", "Each actor's current stance on it; 404 when no live claim is on it."),
        ["Alive"] = new("Liveness", "200 while the process runs; no key needed.", Validated: false),
        ["Health"] = new("Readiness", "200 when this host's silo is active and PostgreSQL answers within 2 s, else 503; no key needed.", Validated: false, Unavailable: true),
    }.ToFrozenDictionary();

    /// <summary>The operations described here, by operation id.</summary>
    public static IEnumerable<string> Described => Operations.Keys;

    public static OpenApiOptions AddOperationDescriptions(this OpenApiOptions options)
    {
        options.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "ClaimStore API";
            document.Info.Description =
                "Who claims what about whom, recorded as immutable events: actors, claims, positions along valid and "
                + "transaction time, contradictions, search, the global log and live feeds. Bad input is answered with "
                + "RFC 9457 problem details. With API keys configured, send `X-Api-Key`: reads need the reader role, "
                + "writes the writer role.";
            return Task.CompletedTask;
        });
        options.AddOperationTransformer((operation, context, _) =>
        {
            if (operation.OperationId is not { } id || !Operations.TryGetValue(id, out var described))
            {
                return Task.CompletedTask;
            }

            var document = context.Document;
            operation.Summary = described.Summary;
            operation.Description = described.Description;
            foreach (var parameter in (operation.Parameters ?? []).OfType<OpenApiParameter>())
            {
                if (parameter.Name is { } name && Parameters.TryGetValue(name, out var about))
                {
                    parameter.Description = about.Description;
                    parameter.Example = about.Example?.DeepClone();
                }
            }

            if (described.RequestExample is { } example && operation.RequestBody?.Content is { } content)
            {
                foreach (var media in content.Values.OfType<OpenApiMediaType>())
                {
                    media.Example = example.DeepClone();
                }
            }

            if (described.Validated && operation.Responses is { } responses && !responses.ContainsKey("400"))
            {
                responses["400"] = new OpenApiResponse
                {
                    Description = "Invalid input: a problem whose `errors` lists each field's messages (RFC 9457).",
                    Content = new Dictionary<string, OpenApiMediaType>
                    {
                        ["application/problem+json"] = new() { Schema = new OpenApiSchemaReference("ProblemDetails", document) },
                    },
                };
            }

            if (described.Unavailable && operation.Responses is { } all && !all.ContainsKey("503"))
            {
                all["503"] = new OpenApiResponse { Description = "Unhealthy: the same report, with the part that is down." };
            }

            return Task.CompletedTask;
        });
        return options;
    }
}

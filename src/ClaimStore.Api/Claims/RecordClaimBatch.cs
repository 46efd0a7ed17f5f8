using System.Text.Json;
using System.Text.Json.Serialization;
using ClaimStore.Api.Http;
using ClaimStore.Domain.Claims;
using ClaimStore.Grains.Actors;
using FluentValidation;
using Mediator;

namespace ClaimStore.Api.Claims;

/// <summary>
/// Record up to <see cref="MaxItems"/> claims of any actors. Items are read one by one, so an item
/// of the wrong shape is rejected on its own; each valid item is stored exactly as a single POST
/// would store it, one grain call per actor.
/// </summary>
public sealed record RecordClaimBatch(IReadOnlyList<JsonElement>? Claims) : IRequest<BatchResult>
{
    public const int MaxItems = 1000;

    public sealed class Validator : AbstractValidator<RecordClaimBatch>
    {
        public Validator()
        {
            RuleFor(b => b.Claims).NotNull().WithMessage("Required.")
                .Must(c => c is null || c.Count <= MaxItems).WithMessage($"At most {MaxItems} claims per batch.")
                .OverridePropertyName("claims");
        }
    }

    public sealed class Handler(IGrainFactory grains, IValidator<ClaimInput> validator)
        : IRequestHandler<RecordClaimBatch, BatchResult>
    {
        public async ValueTask<BatchResult> Handle(RecordClaimBatch batch, CancellationToken cancellationToken)
        {
            var items = batch.Claims!;
            var results = new BatchItemResult[items.Count];
            var accepted = new List<(int Index, string ActorId, ClaimSubmission Submission, bool IdFromClient)>();
            for (var i = 0; i < items.Count; i++)
            {
                var (input, errors) = Read(items[i]);
                if (input is not null && errors is null)
                {
                    // Synchronous, as in ValidationBehavior: no rule does I/O, and the async path costs a state machine per rule.
                    var validation = validator.Validate(input);
                    errors = validation.IsValid ? null : ValidationRules.ToErrors(validation.Errors);
                    if (errors is null && input.ActorId is null)
                    {
                        errors = new() { ["actorId"] = ["Required."] };
                    }
                }

                if (errors is not null)
                {
                    results[i] = BatchItemResult.Rejected(i, TryReadClaimId(items[i]), errors);
                    continue;
                }

                accepted.Add((i, input!.ActorId!, input.ToSubmission(Guid.CreateVersion7), input.ClaimId is not null));
            }

            // One call per actor, all actors at once: each grain appends its share in one transaction.
            var perActor = accepted.GroupBy(a => a.ActorId).Select(async group =>
            {
                var outcomes = await grains.GetActorGrain(group.Key)
                    .RecordClaimsAsync([.. group.Select(g => g.Submission)]);
                foreach (var (item, outcome) in group.Zip(outcomes))
                {
                    var result = BatchItemResult.From(item.Index, outcome);
                    // An id the server made up for a claim it did not store would name nothing.
                    results[item.Index] = result.Status == BatchItemStatus.Rejected && !item.IdFromClient
                        ? result with { ClaimId = null }
                        : result;
                }
            });
            await Task.WhenAll(perActor);
            return new BatchResult(results);
        }

        private static (ClaimInput? Input, Dictionary<string, string[]>? Errors) Read(JsonElement item)
        {
            if (item.ValueKind != JsonValueKind.Object)
            {
                return (null, new() { ["claim"] = ["Must be a JSON object."] });
            }

            try
            {
                return (item.Deserialize<ClaimInput>(ApiJson.Options), null);
            }
            catch (JsonException ex)
            {
                return (null, ErrorMapping.JsonErrors(ex));
            }
        }

        private static Guid? TryReadClaimId(JsonElement item) =>
            item.ValueKind == JsonValueKind.Object
            && item.TryGetProperty("claimId", out var id)
            && id.ValueKind == JsonValueKind.String
            && Guid.TryParse(id.GetString(), out var parsed)
                ? parsed
                : null;
    }
}

public enum BatchItemStatus
{
    Created,
    Unchanged,
    Rejected,
}

public sealed record BatchItemResult(
    int Index,
    BatchItemStatus Status,
    Guid? ClaimId,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] Dictionary<string, string[]>? Errors)
{
    public static BatchItemResult Rejected(int index, Guid? claimId, Dictionary<string, string[]> errors) =>
        new(index, BatchItemStatus.Rejected, claimId, errors);

    public static BatchItemResult From(int index, RecordOutcome outcome) => outcome.Status switch
    {
        RecordStatus.Created => new(index, BatchItemStatus.Created, outcome.ClaimId, null),
        RecordStatus.Unchanged => new(index, BatchItemStatus.Unchanged, outcome.ClaimId, null),
        RecordStatus.ActorNotFound => Rejected(index, outcome.ClaimId, new() { ["actorId"] = [outcome.Detail!] }),
        _ => Rejected(index, outcome.ClaimId, new() { ["claimId"] = [outcome.Detail!] }),
    };
}

public sealed record BatchResult(IReadOnlyList<BatchItemResult> Results);

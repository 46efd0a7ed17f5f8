using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using ClaimStore.Domain.Claims;
using ClaimStore.Domain.Contradictions;

namespace ClaimStore.Cli.Replay;

/// <summary>An actor's current position on a proposition (its latest live claim by statedAt), as replay shows it.</summary>
internal sealed record HeldPosition(string ActorId, string PropositionKey, string Stance, string Certainty, Quantity? Quantity, DateTimeOffset Since, Guid ClaimId)
{
    public bool SameAs(HeldPosition other) => Stance == other.Stance && Certainty == other.Certainty && Quantity == other.Quantity;
}

internal enum PositionChangeKind
{
    Taken,
    GivenUp,
}

internal sealed record PositionChange(PositionChangeKind Kind, HeldPosition Position);

internal enum ContradictionChangeKind
{
    Opened,
    Resolved,
    Reopened,
    Updated,
    Withdrawn,
}

internal sealed record ContradictionChange(ContradictionChangeKind Kind, Contradiction Contradiction);

/// <summary>One event of the log and what it changed.</summary>
internal sealed record ReplayStep(
    long Sequence, string Type, string ActorId, DateTimeOffset RecordedAt, JsonElement Data,
    IReadOnlyList<PositionChange> Positions, IReadOnlyList<ContradictionChange> Contradictions);

/// <summary>
/// Folds the global log, event by event, into current positions and contradictions, with the host's own
/// rules (<see cref="ContradictionDetector"/>), and says after each event what changed. Holds the live
/// claims, so a replay needs memory in proportion to the store.
/// </summary>
internal sealed class ReplayFold
{
    private readonly Dictionary<Guid, ClaimFact> _live = [];
    private readonly Dictionary<Guid, (string Certainty, Quantity? Quantity)> _details = [];
    private readonly Dictionary<(string Actor, string Key), HashSet<Guid>> _byActor = [];
    private readonly Dictionary<string, Dictionary<Guid, ClaimFact>> _byProposition = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ImmutableArray<Contradiction>> _contradictions = new(StringComparer.Ordinal);

    public ReplayStep Apply(JsonElement e)
    {
        var sequence = e.GetProperty("sequence").GetInt64();
        var type = e.GetProperty("type").GetString()!;
        var actorId = e.GetProperty("actorId").GetString()!;
        var recordedAt = e.GetProperty("recordedAt").GetDateTimeOffset();
        var data = e.GetProperty("data").Clone();
        ClaimFact? claim = type switch
        {
            "ClaimRecorded" => Recorded(data, actorId, sequence),
            "ClaimRetracted" => _live.GetValueOrDefault(data.GetProperty("claimId").GetGuid()),
            _ => null,
        };
        if (claim is null)
        {
            return new ReplayStep(sequence, type, actorId, recordedAt, data, [], []);
        }

        var key = claim.Proposition.Key;
        var before = PositionOf(claim.ActorId, key);
        if (type == "ClaimRecorded")
        {
            Add(claim);
        }
        else
        {
            Remove(claim);
        }

        var after = PositionOf(claim.ActorId, key);
        var positions = new List<PositionChange>();
        if (before is not null && (after is null || !before.SameAs(after)))
        {
            positions.Add(new PositionChange(PositionChangeKind.GivenUp, before));
        }

        if (after is not null && (before is null || !before.SameAs(after)))
        {
            positions.Add(new PositionChange(PositionChangeKind.Taken, after));
        }

        var was = _contradictions.GetValueOrDefault(key, []);
        var now = ContradictionDetector.Detect(key, _byProposition.GetValueOrDefault(key)?.Values ?? Enumerable.Empty<ClaimFact>());
        _contradictions[key] = now;
        return new ReplayStep(sequence, type, actorId, recordedAt, data, positions, Diff(was, now));
    }

    private static List<ContradictionChange> Diff(ImmutableArray<Contradiction> was, ImmutableArray<Contradiction> now)
    {
        var old = was.ToDictionary(c => c.ContradictionId, StringComparer.Ordinal);
        var fresh = now.ToDictionary(c => c.ContradictionId, StringComparer.Ordinal);
        var changes = new List<ContradictionChange>();
        changes.AddRange(was.Where(c => !fresh.ContainsKey(c.ContradictionId)).Select(c => new ContradictionChange(ContradictionChangeKind.Withdrawn, c)));
        foreach (var c in now)
        {
            if (!old.TryGetValue(c.ContradictionId, out var previous))
            {
                changes.Add(new ContradictionChange(ContradictionChangeKind.Opened, c));
            }
            else if (previous.ResolvedAt is null && c.ResolvedAt is not null)
            {
                changes.Add(new ContradictionChange(ContradictionChangeKind.Resolved, c));
            }
            else if (previous.ResolvedAt is not null && c.ResolvedAt is null)
            {
                changes.Add(new ContradictionChange(ContradictionChangeKind.Reopened, c));
            }
            else if (previous.ResolvedAt != c.ResolvedAt || !previous.ClaimIds.SequenceEqual(c.ClaimIds))
            {
                changes.Add(new ContradictionChange(ContradictionChangeKind.Updated, c));
            }
        }

        return changes;
    }

    private ClaimFact Recorded(JsonElement data, string actorId, long sequence)
    {
        var claim = data.GetProperty("claim");
        var proposition = claim.GetProperty("proposition");
        var @object = proposition.TryGetProperty("object", out var o) && o.ValueKind == JsonValueKind.String ? o.GetString() : null;
        Quantity? quantity = claim.TryGetProperty("quantity", out var q) && q.ValueKind == JsonValueKind.Object
            ? new Quantity(q.GetProperty("min").GetDecimal(), q.GetProperty("max").GetDecimal(), q.GetProperty("unit").GetString()!)
            : null;
        var claimId = data.GetProperty("claimId").GetGuid();
        _details[claimId] = (claim.GetProperty("certainty").GetString()!, quantity);
        return new ClaimFact(
            claimId, actorId,
            new Proposition(proposition.GetProperty("subject").GetString()!, proposition.GetProperty("predicate").GetString()!, @object),
            claim.GetProperty("stance").GetString() == "denies" ? Stance.Denies : Stance.Affirms,
            quantity,
            DateTimeOffset.Parse(claim.GetProperty("statedAt").GetString()!, CultureInfo.InvariantCulture),
            sequence);
    }

    private void Add(ClaimFact claim)
    {
        var key = claim.Proposition.Key;
        _live[claim.ClaimId] = claim;
        if (!_byActor.TryGetValue((claim.ActorId, key), out var ids))
        {
            _byActor[(claim.ActorId, key)] = ids = [];
        }

        ids.Add(claim.ClaimId);
        if (!_byProposition.TryGetValue(key, out var facts))
        {
            _byProposition[key] = facts = [];
        }

        facts[claim.ClaimId] = claim;
    }

    private void Remove(ClaimFact claim)
    {
        var key = claim.Proposition.Key;
        _live.Remove(claim.ClaimId);
        _byActor[(claim.ActorId, key)].Remove(claim.ClaimId);
        _byProposition[key].Remove(claim.ClaimId);
    }

    private HeldPosition? PositionOf(string actorId, string key)
    {
        if (!_byActor.TryGetValue((actorId, key), out var ids) || ids.Count == 0)
        {
            return null;
        }

        var holder = ids.Select(id => _live[id]).MaxBy(c => (c.StatedAt.UtcTicks, c.Sequence))!;
        var (certainty, quantity) = _details[holder.ClaimId];
        return new HeldPosition(actorId, key, holder.Stance == Stance.Denies ? "denies" : "affirms", certainty, quantity, holder.StatedAt, holder.ClaimId);
    }
}

using ClaimStore.Api.Ui.Shared;
using ClaimStore.Domain.Actors;
using ClaimStore.Domain.Claims;

namespace ClaimStore.Api.Ui.History;

/// <summary>One line for an event of the log, as an analyst reads it.</summary>
internal static class EventText
{
    public static string Describe(object data) => data switch
    {
        ClaimRecorded e => $"{Format.Stance(e.Claim.Stance, e.Claim.Certainty)} {e.Claim.Proposition.Key}"
            + (e.Claim.Quantity is null ? "" : $" ({Format.Quantity(e.Claim.Quantity)})")
            + $", stated {Format.Date(e.Claim.StatedAt)}",
        ClaimRetracted e => $"retracts claim {e.ClaimId}" + (e.Reason is null ? "" : $": {e.Reason}"),
        ActorRegistered e => $"registered as {e.Name} ({Format.Kebab(e.Kind)})",
        ActorProfileChanged e => $"profile changed: {e.Name} ({Format.Kebab(e.Kind)})",
        ActorErased e => $"personal data erased (key {e.ErasedBy}, {e.RewrittenEvents} events rewritten)",
        _ => "",
    };
}

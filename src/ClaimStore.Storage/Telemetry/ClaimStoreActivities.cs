using System.Diagnostics;

namespace ClaimStore.Storage.Telemetry;

/// <summary>
/// ClaimStore's own spans, source <c>ClaimStore</c>: each mediator message, and each append transaction.
/// Without a listener <see cref="ActivitySource.StartActivity(string, ActivityKind)"/> returns null and costs a check.
/// </summary>
public static class ClaimStoreActivities
{
    public const string Name = "ClaimStore";

    public static readonly ActivitySource Source = new(Name);

    /// <summary>
    /// Starts the span of one append transaction. Group commit puts several callers' appends in one
    /// transaction: the span is a child of the first caller's span (so a lone write's trace reaches
    /// PostgreSQL) and links to the others.
    /// </summary>
    public static Activity? StartCommit(IEnumerable<ActivityContext> callers, int streams)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        var parent = default(ActivityContext);
        List<ActivityLink>? links = null;
        foreach (var caller in callers)
        {
            if (caller == default)
            {
                continue;
            }

            if (parent == default)
            {
                parent = caller;
            }
            else
            {
                (links ??= []).Add(new ActivityLink(caller));
            }
        }

        var activity = Source.StartActivity("claimstore.append commit", ActivityKind.Internal, parent, links: links);
        activity?.SetTag("claimstore.append.streams", streams);
        return activity;
    }
}

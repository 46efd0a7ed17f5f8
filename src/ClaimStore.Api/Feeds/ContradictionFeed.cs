using System.Runtime.CompilerServices;
using System.Threading.Channels;
using ClaimStore.Api.Contradictions;
using ClaimStore.Domain.Contradictions;
using ClaimStore.Domain.Propositions;

namespace ClaimStore.Api.Feeds;

/// <summary>
/// Live changes of the contradiction list on this host. The read-model follower hands over each snapshot it
/// publishes; while anyone follows, the changes from the one before are framed once and passed to every follower.
/// </summary>
public sealed class ContradictionFeed
{
    /// <summary>
    /// Messages a follower may fall behind by. A client that reads slower than contradictions change for this long
    /// has its stream ended; it reconnects and re-reads <c>GET /contradictions</c>, as after any interruption.
    /// </summary>
    public const int MaxBacklog = 100_000;

    private readonly Lock _gate = new();
    private List<Follower> _followers = [];

    public int Followers => Volatile.Read(ref _followers).Count;

    /// <summary>Called with every snapshot the read side publishes, in order.</summary>
    public void Published(ReadModelSnapshot before, ReadModelSnapshot after)
    {
        var followers = Volatile.Read(ref _followers);
        if (followers.Count == 0 || after.Changes.Count == 0)
        {
            return;
        }

        foreach (var change in ContradictionChange.Between(before, after))
        {
            var view = ContradictionView.From(change.Contradiction);
            var message = ServerSentEvent.Create(change.Sequence, EventName(change.Kind), view);
            foreach (var follower in followers)
            {
                if (follower.Wanted(view) && !follower.Messages.Writer.TryWrite(message))
                {
                    follower.Messages.Writer.TryComplete();
                }
            }
        }
    }

    /// <summary>Ends every follower's stream: the list they followed is gone (the store was emptied).</summary>
    public void EndAll()
    {
        foreach (var follower in Volatile.Read(ref _followers))
        {
            follower.Messages.Writer.TryComplete();
        }
    }

    public static string EventName(ContradictionChangeKind kind) => kind switch
    {
        ContradictionChangeKind.Opened => "contradiction-opened",
        ContradictionChangeKind.Updated => "contradiction-updated",
        _ => "contradiction-withdrawn",
    };

    /// <summary>The changes <paramref name="wanted"/> keeps, from now on, as long as the caller reads.</summary>
    public async IAsyncEnumerable<ServerSentEvent> FollowAsync(
        Func<ContradictionView, bool> wanted, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var follower = new Follower(wanted, Channel.CreateBounded<ServerSentEvent>(
            new BoundedChannelOptions(MaxBacklog) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait }));
        Change(followers => [.. followers, follower]);
        try
        {
            await foreach (var message in follower.Messages.Reader.ReadAllAsync(cancellationToken))
            {
                yield return message;
            }
        }
        finally
        {
            Change(followers => [.. followers.Where(f => f != follower)]);
        }
    }

    private void Change(Func<List<Follower>, List<Follower>> change)
    {
        lock (_gate)
        {
            Volatile.Write(ref _followers, change(_followers));
        }
    }

    private sealed record Follower(Func<ContradictionView, bool> Wanted, Channel<ServerSentEvent> Messages);
}

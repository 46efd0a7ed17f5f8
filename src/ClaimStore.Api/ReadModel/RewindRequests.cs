namespace ClaimStore.Api.ReadModel;

/// <summary>
/// Requests to a loop that follows the global log to start over from its beginning, after the store was
/// emptied (<c>POST /testing/reset</c>). The loop takes a request at the start of a round, so no round that
/// began on the old log finishes on the new one; requests made meanwhile share one answer.
/// </summary>
public sealed class RewindRequests
{
    private readonly Lock _gate = new();
    private TaskCompletionSource? _pending;

    /// <summary>Asks for a rewind; the task ends once the loop has started over and finished a round.</summary>
    public Task Request()
    {
        lock (_gate)
        {
            _pending ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _pending.Task;
        }
    }

    /// <summary>The loop's side: the pending request, if any, to complete once its round is done.</summary>
    public TaskCompletionSource? Take()
    {
        lock (_gate)
        {
            var taken = _pending;
            _pending = null;
            return taken;
        }
    }
}

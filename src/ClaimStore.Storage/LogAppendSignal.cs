namespace ClaimStore.Storage;

/// <summary>
/// Tells this host's followers of the log that an append committed here, so live feeds need not wait
/// for their next poll; appends on other hosts are found by polling.
/// </summary>
public sealed class LogAppendSignal
{
    private TaskCompletionSource _next = NewSignal();

    /// <summary>Completes at the next commit after it was read.</summary>
    public Task Next => Volatile.Read(ref _next).Task;

    public void Pulse() => Interlocked.Exchange(ref _next, NewSignal()).TrySetResult();

    /// <summary>Waits until the next commit on this host or <paramref name="timeout"/>, whichever comes first.</summary>
    public async Task WaitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var next = Next;
        if (!next.IsCompleted)
        {
            await Task.WhenAny(next, Task.Delay(timeout, cancellationToken));
        }

        cancellationToken.ThrowIfCancellationRequested();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}

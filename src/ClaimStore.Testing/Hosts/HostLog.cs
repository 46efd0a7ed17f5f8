using System.Collections.Concurrent;
using System.Diagnostics;

namespace ClaimStore.Testing.Hosts;

/// <summary>Everything one host wrote, across its restarts, with the time since the cluster started.</summary>
internal sealed class HostLog(int host, Stopwatch clock, Action<string> forward)
{
    // Enough to follow a long test; the oldest lines go first.
    private const int LinesKept = 50_000;

    private readonly ConcurrentQueue<string> _lines = new();

    public void Add(string? line)
    {
        if (line is null)
        {
            return;
        }

        var text = $"{clock.Elapsed.TotalSeconds,7:F2}s host {host}: {line}";
        _lines.Enqueue(text);
        while (_lines.Count > LinesKept && _lines.TryDequeue(out _))
        {
        }

        forward(text);
    }

    public string Text() => string.Join(Environment.NewLine, _lines);
}

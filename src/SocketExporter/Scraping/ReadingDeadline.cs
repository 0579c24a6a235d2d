using System.Diagnostics;

namespace SocketExporter.Scraping;

/// <summary>
/// When a collection must stop reading: a Stopwatch timestamp, absolute from the first request (time spent waiting for
/// the previous collection counts against it). Requests that join may push it later; once the reading has seen it
/// pass — and so may already have skipped something — it stays passed, and nothing can be promised any more.
/// </summary>
internal sealed class ReadingDeadline(long timestamp)
{
    private readonly object _lock = new();
    private long _timestamp = timestamp;
    private volatile bool _passed;

    /// <summary>Whether the deadline has passed. Called by the snapshot builder between processes and namespaces: once
    /// it answered true, the answer stays true.</summary>
    public bool Passed
    {
        get
        {
            if (_passed)
                return true;
            if (Stopwatch.GetTimestamp() <= Volatile.Read(ref _timestamp))
                return false;   // it can only move later, so no lock is needed to say "not yet"
            lock (_lock)
            {
                if (Stopwatch.GetTimestamp() > _timestamp)
                    _passed = true;
                return _passed;
            }
        }
    }

    /// <summary>Pushes the deadline to <paramref name="timestamp"/> if that is later. False when the deadline has
    /// already passed: the reading may have skipped parts, so whoever wanted more time must not join.</summary>
    public bool TryExtend(long timestamp)
    {
        lock (_lock)
        {
            if (_passed || Stopwatch.GetTimestamp() > _timestamp)
            {
                _passed = true;
                return false;
            }
            if (timestamp > _timestamp)
                Volatile.Write(ref _timestamp, timestamp);
            return true;
        }
    }
}

namespace SocketExporter.Configuration;

/// <summary>
/// A token bucket for the lines of one log source: <see cref="Burst"/> lines at once, then one per
/// <see cref="Refill"/>. What it holds back is counted, and said in one line when the source may write again or
/// <see cref="SummaryDelay"/> after the first line held back, whichever comes first. Used for the sources that clients
/// drive (Kestrel's per-connection lines, rejected requests): one client must not be able to write megabytes of log.
/// </summary>
public sealed class LogRateLimit(TimeProvider clock)
{
    public const int Burst = 20;
    public static readonly TimeSpan Refill = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan SummaryDelay = TimeSpan.FromSeconds(10);

    private readonly object _lock = new();
    private double _tokens = Burst;
    private long _refilledAt = clock.GetTimestamp();
    private int _suppressed;
    private long _suppressedSince;

    /// <summary>Whether a line may be written now; <paramref name="suppressed"/> is how many were held back before
    /// it (to be reported first), and <paramref name="startSummary"/> says this line is the first held back, so the
    /// caller schedules <see cref="TakeSummary"/> after <see cref="SummaryDelay"/>.</summary>
    public bool TryWrite(out int suppressed, out TimeSpan over, out bool startSummary)
    {
        lock (_lock)
        {
            long now = clock.GetTimestamp();
            _tokens = Math.Min(Burst, _tokens + clock.GetElapsedTime(_refilledAt, now) / Refill);
            _refilledAt = now;
            startSummary = false;
            if (_tokens >= 1)
            {
                _tokens -= 1;
                (suppressed, over) = TakeLocked(now);
                return true;
            }
            startSummary = _suppressed == 0;
            if (startSummary)
                _suppressedSince = now;
            _suppressed++;
            (suppressed, over) = (0, TimeSpan.Zero);
            return false;
        }
    }

    /// <summary>The lines held back and not yet reported, and over how long; zero if none.</summary>
    public (int Suppressed, TimeSpan Over) TakeSummary()
    {
        lock (_lock)
            return TakeLocked(clock.GetTimestamp());
    }

    private (int, TimeSpan) TakeLocked(long now)
    {
        if (_suppressed == 0)
            return (0, TimeSpan.Zero);
        (int count, TimeSpan over) = (_suppressed, clock.GetElapsedTime(_suppressedSince, now));
        _suppressed = 0;
        return (count, over);
    }
}

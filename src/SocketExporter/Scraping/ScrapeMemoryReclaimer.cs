namespace SocketExporter.Scraping;

/// <summary>
/// Hands the memory of a served scrape back to the kernel. Each scrape fills a fresh registry (thousands of
/// series on a busy host) that is garbage once the response is sent; left to itself the GC keeps those pages
/// committed for the next scrape, which comes only 15–60 s later. One aggressive, compacting collection after
/// the response has gone out returns them. Measured on the bench load (10,000 connections, ~6,300 series, AOT):
/// RSS between scrapes 47.3 → 33.5 MiB for about 7 ms of CPU per scrape, off the request's path.
/// </summary>
public sealed class ScrapeMemoryReclaimer : IDisposable
{
    /// <summary>At most one collection per interval, so that a client scraping in a loop cannot keep the GC busy;
    /// a burst of scrapes is still followed by one collection, at most this long after its last response.</summary>
    public static readonly TimeSpan DefaultMinimumInterval = TimeSpan.FromSeconds(5);

    private readonly long _intervalMilliseconds;
    private readonly object _gate = new();
    private readonly Timer _timer;
    private long _lastRunMilliseconds = long.MinValue / 2;
    private bool _scheduled;
    private int _runs;

    public ScrapeMemoryReclaimer(TimeSpan? minimumInterval = null)
    {
        _intervalMilliseconds = (long)(minimumInterval ?? DefaultMinimumInterval).TotalMilliseconds;
        _timer = new Timer(_ => Run());
    }

    /// <summary>Number of collections started so far.</summary>
    public int Runs { get { lock (_gate) return _runs; } }

    /// <summary>When the last collection started (<see cref="Environment.TickCount64"/>).</summary>
    public long LastRunMilliseconds { get { lock (_gate) return _lastRunMilliseconds; } }

    /// <summary>Called once a scrape's response has been sent: schedules the collection (now, or when the interval since
    /// the last one is over). Scrapes that arrive meanwhile share it.</summary>
    public void AfterResponse()
    {
        lock (_gate)
        {
            if (_scheduled)
                return;
            _scheduled = true;
            long wait = Math.Max(0, _lastRunMilliseconds + _intervalMilliseconds - Environment.TickCount64);
            _timer.Change(wait, Timeout.Infinite);
        }
    }

    private void Run()
    {
        lock (_gate)
        {
            // A response that completes during this collection schedules the next one a full interval later.
            _scheduled = false;
            _lastRunMilliseconds = Environment.TickCount64;
            _runs++;
        }
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
    }

    public void Dispose() => _timer.Dispose();
}

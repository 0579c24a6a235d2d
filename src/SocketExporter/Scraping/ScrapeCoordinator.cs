using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Prometheus;
using SocketExporter.Collectors;
using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Scraping;

/// <summary>
/// Owns collection. A request that arrives while a collection is in flight awaits the same task, so
/// overlapping scrapes share one snapshot. Every collection fills a new registry: stale pids and ports
/// vanish with the old registry, so there is nothing to remove.
/// </summary>
public sealed class ScrapeCoordinator(SnapshotBuilder builder, CollectorRunner runner, BuildInfo build, MetricOptions metricOptions,
    ILogger<ScrapeCoordinator> logger)
{
    /// <summary>A collection is abandoned (and the scrape answered 503) after this long, whatever the client allows.</summary>
    public static readonly TimeSpan MaximumCollectionTime = TimeSpan.FromSeconds(60);

    private readonly object _gate = new();
    private readonly object _building = new();   // the snapshot builder reuses its buffers: one build at a time
    private readonly ReadProblemLog _problems = new(logger);
    private Task<ScrapeResult>? _inFlight;
    private ReadingDeadline? _inFlightDeadline;

    /// <summary>What the last collection could not fully read, and why.</summary>
    public IReadOnlyDictionary<string, string> ReadProblems => _problems.Current;

    /// <summary>The last successful result without its registry (the landing page needs only the snapshot).</summary>
    public ScrapeResult? Latest { get; private set; }

    /// <summary>Share of a scrape's time budget the reading may take; the rest is for the collectors and the response.
    /// Past it, the snapshot builder stops reading and the scrape answers with what it has, marked partial.</summary>
    public const double ReadingShareOfBudget = 0.75;

    /// <param name="only">Collectors to run (from ?collect[]= / ?exclude[]=), or null for all: only unfiltered
    /// collections are shared between concurrent requests.</param>
    /// <param name="budget">Time the requester can wait, from now (Prometheus's scrape timeout less a margin). A request
    /// that joins a collection in flight can bring its reading deadline closer, never push it back.</param>
    public Task<ScrapeResult> CollectAsync(IReadOnlySet<string>? only = null, TimeSpan? budget = null)
    {
        // A longer budget than the collection may take would put the reading deadline after the hard stop: such a
        // scrape would answer 503 where a shorter one answers a partial result.
        TimeSpan allowed = budget is { } b && b < MaximumCollectionTime ? b : MaximumCollectionTime;
        long deadline = Stopwatch.GetTimestamp() + (long)(allowed.TotalSeconds * ReadingShareOfBudget * Stopwatch.Frequency);
        if (only is not null)
        {
            var own = new ReadingDeadline(deadline);
            return Task.Factory.StartNew(() => Collect(only, own), CancellationToken.None, TaskCreationOptions.DenyChildAttach, TaskScheduler.Default);
        }
        lock (_gate)
        {
            if (_inFlight is not null && !_inFlight.IsCompleted)
            {
                _inFlightDeadline!.Tighten(deadline);
                return _inFlight;
            }
            var shared = new ReadingDeadline(deadline);
            Task<ScrapeResult> started = Task.Factory.StartNew(() => Collect(null, shared), CancellationToken.None, TaskCreationOptions.DenyChildAttach, TaskScheduler.Default);
            (_inFlight, _inFlightDeadline) = (started, shared);
            // Forget the finished task, so its registry is garbage as soon as the responses that share it are sent.
            started.ContinueWith(_ => { lock (_gate) if (_inFlight == started) (_inFlight, _inFlightDeadline) = (null, null); },
                CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            return started;
        }
    }

    /// <summary>When a collection must stop reading (a Stopwatch timestamp, absolute: time spent waiting for the
    /// previous collection counts against it).</summary>
    private sealed class ReadingDeadline(long timestamp)
    {
        private long _timestamp = timestamp;

        public bool Passed => Stopwatch.GetTimestamp() > Interlocked.Read(ref _timestamp);

        public void Tighten(long timestamp)
        {
            long seen = Interlocked.Read(ref _timestamp);
            while (timestamp < seen)
            {
                long found = Interlocked.CompareExchange(ref _timestamp, timestamp, seen);
                if (found == seen) return;
                seen = found;
            }
        }
    }

    private ScrapeResult Collect(IReadOnlySet<string>? only, ReadingDeadline readingDeadline)
    {
        using var deadline = new CancellationTokenSource(MaximumCollectionTime);
        ScrapeSnapshot snapshot;
        // One collection at a time, from build to the last collector: the snapshot's buffers are reused by the next build.
        lock (_building)
        {
            try
            {
                snapshot = builder.Build(deadline.Token, () => readingDeadline.Passed);
                _problems.Observe(snapshot);
            }
            catch (OperationCanceledException)
            {
                return Failed($"collection did not finish within {MaximumCollectionTime.TotalSeconds} s");
            }
            catch (Exception e)   // a bug reading the kernel must answer 503 with its reason, not kill the request
            {
                return Failed($"reading the kernel failed: {e.GetType().Name}: {e.Message}");
            }
            return Export(snapshot, only);
        }
    }

    private ScrapeResult Export(ScrapeSnapshot snapshot, IReadOnlySet<string>? only)
    {
        if (snapshot.SocketsFailed && snapshot.ProcessError is not null)
            return Failed($"no socket table and no process could be read: {snapshot.ProcessError}; " +
                string.Join("; ", snapshot.SocketTables.Select(t => t.Error)));

        CollectorRegistry registry = Metrics.NewCustomRegistry();
        IMetricFactory factory = Metrics.WithCustomRegistry(registry);
        DotNetStats.Register(registry);   // process_* and dotnet_*: the exporter's own CPU, memory and GC
        var budget = new SeriesBudget(metricOptions.MaxSeries, metricOptions.MaxUnixSeries);
        runner.Run(snapshot, new MetricWriter(factory, budget, metricOptions.DroppedLabels, metricOptions.Filter), factory, only);
        ExporterHealth.Write(snapshot, factory, build, budget);
        var result = new ScrapeResult(registry, only is null ? Web.ListenerRow.From(snapshot) : null, null, DateTime.UtcNow)
        {
            Partial = CollectorRunner.CutShort(snapshot, SnapshotParts.Processes | SnapshotParts.Sockets),
        };
        if (only is null)
            Latest = result with { Registry = null };
        return result;
    }

    private ScrapeResult Failed(string reason)
    {
        logger.LogError("scrape failed: {Reason}", reason);
        return new ScrapeResult(null, null, reason, DateTime.UtcNow);
    }
}

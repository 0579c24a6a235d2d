using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Prometheus;
using SocketExporter.Collectors;
using SocketExporter.Linux.Snapshot;
using SocketExporter.Linux.Reading;

namespace SocketExporter.Scraping;

/// <summary>
/// Owns collection. One snapshot is built at a time (its buffers are reused by the next); every request that arrives
/// meanwhile joins the next collection, whatever its collect[] selection, and is answered from that collection's
/// snapshot. Waiting holds no thread: a request awaits a task, so any number of waiting scrapers costs the thread pool
/// nothing. Every export fills a new registry: stale pids and ports vanish with the old registry, nothing to remove.
/// </summary>
/// <remarks>
/// A request never makes a collection worse for the others: joining never moves the collection's reading deadline.
/// A request whose timeout is shorter shares the collection and gets its own 503 if the answer is not ready in its time;
/// one whose timeout is longer shares it only while it has at least the last whole read's time (and a quarter) left,
/// otherwise it waits for a collection of its own. So a client sending a tiny X-Prometheus-Scrape-Timeout-Seconds can
/// cut short only a collection that nobody else is relying on, and a client allowing a minute cannot make a
/// Prometheus scrape wait past its own timeout.
/// </remarks>
public sealed class ScrapeCoordinator(SnapshotBuilder builder, CollectorRunner runner, BuildInfo build, MetricOptions metricOptions,
    ILogger<ScrapeCoordinator> logger)
{
    /// <summary>A collection is abandoned (and the scrape answered 503) after this long, whatever the client allows.</summary>
    public static readonly TimeSpan MaximumCollectionTime = TimeSpan.FromSeconds(60);

    /// <summary>Share of a scrape's time budget the reading may take; the rest is for the collectors and the response.
    /// Past it, the snapshot builder stops reading and the scrape answers with what it has, marked partial.</summary>
    public const double ReadingShareOfBudget = 0.75;

    private readonly object _gate = new();
    // The snapshot builder reuses its buffers: one collection at a time, from the build to its last export.
    // A semaphore awaited asynchronously, not a lock: queued collections hold no thread while they wait.
    private readonly SemaphoreSlim _building = new(1, 1);
    private readonly ReadProblemLog _problems = new(logger);
    // The collection newcomers join: not yet exporting, its deadline not yet passed. Null when none is.
    private PendingCollection? _open;

    /// <summary>What the last collection could not fully read, and why.</summary>
    public IReadOnlyDictionary<string, string> ReadProblems => _problems.Current;

    /// <summary>The last unfiltered result that was not a failure, without its registry: the landing page shows its
    /// listener table (the snapshot itself is not kept).</summary>
    public ScrapeResult? Latest { get; private set; }

    /// <param name="only">Collectors to run (from ?collect[]= / ?exclude[]=), or null for all.</param>
    /// <param name="budget">Time the requester can wait, from now (Prometheus's scrape timeout less a margin). Joining a
    /// collection never moves its reading deadline.</param>
    public Task<ScrapeResult> CollectAsync(IReadOnlySet<string>? only = null, TimeSpan? budget = null)
    {
        // A longer budget than the collection may take would put the reading deadline after the hard stop: such a
        // scrape would answer 503 where a shorter one answers a partial result.
        TimeSpan allowed = budget is { } b && b < MaximumCollectionTime ? b : MaximumCollectionTime;
        long now = Stopwatch.GetTimestamp();
        long deadline = now + (long)(allowed.TotalSeconds * ReadingShareOfBudget * Stopwatch.Frequency);
        long answerBy = now + (long)(allowed.TotalSeconds * Stopwatch.Frequency);
        var selection = CollectorSelection.Of(only);
        lock (_gate)
        {
            if (_open is { } open && open.TryJoin(selection, deadline, answerBy, MinimumLead(), out Task<ScrapeResult>? joined))
                return joined;
            PendingCollection created = PendingCollection.StartFor(selection, deadline, answerBy, out Task<ScrapeResult> mine);
            _open = created;
            _ = RunAsync(created);
            return mine;
        }
    }

    // How long the last read that was not cut short took (Stopwatch ticks); until one is seen, half a second.
    private long _lastWholeReadTicks = Stopwatch.Frequency / 2;

    // A request that allows more time than a collection in flight joins it only if that collection has at least this
    // long left to read: a quarter more than the last whole read.
    private long MinimumLead() => Interlocked.Read(ref _lastWholeReadTicks) * 5 / 4;

    // A request that finds no collection to join (the one in flight is exporting, past its deadline, too close to it, or
    // serving MaximumSelections) waits here for the running one, whatever its collect[] selection: every collection
    // reads what every enabled collector needs, so a selection changes only which collectors run over the snapshot, not
    // what the build costs. The build is the shared expensive part — a walk of every /proc/PID/fd and the socket dumps,
    // into buffers the running collection's snapshot still uses — and two at once would each take about twice as long
    // on the same cores. The wait is bounded by the running collection's reading deadline plus its exports.
    private async Task RunAsync(PendingCollection collection)
    {
        bool queued = !_building.Wait(0);
        if (queued)
            await _building.WaitAsync().ConfigureAwait(false);
        try
        {
            // Off the caller's stack: the first request must not run a whole collection inside CollectAsync. The build's
            // process walk then holds this pool thread; everything else it waits for is awaited.
            await Task.Run(() => CollectOnceAsync(collection, queued)).ConfigureAwait(false);
        }
        finally
        {
            _building.Release();
        }
    }

    /// <param name="queued">Whether it waited for the collection before it.</param>
    private async Task CollectOnceAsync(PendingCollection collection, bool queued)
    {
        using var hardStop = new CancellationTokenSource(MaximumCollectionTime);
        ScrapeSnapshot? snapshot = null;
        string? failure = null;
        bool abandoned = queued && Stopwatch.GetTimestamp() > collection.AnswerBy;
        if (abandoned)
        {
            // Every request of this collection gave up waiting while the previous one ran: reading now would answer
            // no one. This keeps a loop of tiny-timeout requests from queueing real work behind a real scrape.
            failure = "every request gave up waiting before the collection could start";
        }
        else
        {
            try
            {
                long started = Stopwatch.GetTimestamp();
                snapshot = await builder.BuildAsync(hardStop.Token, () => collection.Deadline.Passed).ConfigureAwait(false);
                if (snapshot.SkippedProcesses == 0 && snapshot.SkippedNamespaces == 0)
                    Interlocked.Exchange(ref _lastWholeReadTicks, Stopwatch.GetTimestamp() - started);
                _problems.Observe(snapshot);
            }
            catch (OperationCanceledException)
            {
                failure = $"collection did not finish within {MaximumCollectionTime.TotalSeconds} s";
            }
            catch (Exception e)   // a bug reading the kernel must answer 503 with its reason, not kill the request
            {
                failure = $"reading the kernel failed: {e.GetType().Name}: {e.Message}";
            }
        }

        IReadOnlyList<(CollectorSelection Selection, TaskCompletionSource<ScrapeResult> Answer)> requests;
        lock (_gate)
        {
            collection.Close();   // newcomers from now on start the next collection
            if (_open == collection)
                _open = null;
            requests = collection.Requests;
        }
        if (abandoned)
            logger.LogDebug("collection not started: {Reason}", failure);
        else if (failure is not null)
            logger.LogError("scrape failed: {Reason}", failure);
        foreach ((CollectorSelection selection, TaskCompletionSource<ScrapeResult> answer) in requests)
        {
            try
            {
                answer.TrySetResult(snapshot is null ? Failed(failure!) : Export(snapshot, selection.Only));
            }
            catch (Exception e)   // a bug in one export fails that request's answer, not the other requests'
            {
                answer.TrySetException(e);
            }
        }
    }

    private ScrapeResult Export(ScrapeSnapshot snapshot, IReadOnlySet<string>? only)
    {
        if (snapshot.SocketsFailed && snapshot.ProcessError is not null)
        {
            string reason = $"no socket table and no process could be read: {snapshot.ProcessError}; " +
                string.Join("; ", snapshot.SocketTables.Select(t => t.Error));
            logger.LogError("scrape failed: {Reason}", reason);
            return Failed(reason);
        }

        CollectorRegistry registry = Metrics.NewCustomRegistry();
        IMetricFactory factory = Metrics.WithCustomRegistry(registry);
        DotNetStats.Register(registry);   // process_* and dotnet_*: the exporter's own CPU, memory and GC
        var budget = new SeriesBudget(metricOptions.MaxSeries, metricOptions.MaxUnixSeries);
        runner.Run(snapshot, new MetricWriter(factory, budget, metricOptions.DroppedLabels, metricOptions.Filter), factory, only);
        ExporterHealth.Write(snapshot, factory, build, budget);
        var result = new ScrapeResult(registry, only is null ? ListenerRow.From(snapshot) : null, null, DateTime.UtcNow)
        {
            Partial = CollectorRunner.CutShort(snapshot, SnapshotParts.Processes | SnapshotParts.Sockets),
        };
        if (only is null)
            Latest = result with { Registry = null };
        return result;
    }

    private static ScrapeResult Failed(string reason) => new(null, null, reason, DateTime.UtcNow);
}

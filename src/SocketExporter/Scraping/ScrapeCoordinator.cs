using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Prometheus;
using SocketExporter.Collectors;
using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Scraping;

/// <summary>
/// Owns collection. One snapshot is built at a time (its buffers are reused by the next); every request that arrives
/// meanwhile joins the next collection, whatever its collect[] selection, and is answered from that collection's
/// snapshot. Waiting holds no thread: a request awaits a task, so any number of waiting scrapers costs the thread pool
/// nothing. Every export fills a new registry: stale pids and ports vanish with the old registry, nothing to remove.
/// </summary>
/// <remarks>
/// A request never makes a collection worse for the others. Joining can only push the collection's reading deadline
/// later (a request with a longer scrape timeout arrived), never earlier: a client sending a tiny
/// X-Prometheus-Scrape-Timeout-Seconds gets its own 503 when the shared answer is not ready in its time, while
/// everyone else's collection reads to their own deadline. A collection whose deadline has already cut its reading
/// short is not joined: the newcomer waits for a fresh one.
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

    /// <summary>The last successful unfiltered result without its registry (the landing page needs only the snapshot).</summary>
    public ScrapeResult? Latest { get; private set; }

    /// <param name="only">Collectors to run (from ?collect[]= / ?exclude[]=), or null for all.</param>
    /// <param name="budget">Time the requester can wait, from now (Prometheus's scrape timeout less a margin). A request
    /// that joins a collection can push its reading deadline later, never earlier.</param>
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
            if (_open is { } open && open.TryJoin(selection, deadline, answerBy, out Task<ScrapeResult>? joined))
                return joined;
            PendingCollection created = PendingCollection.StartFor(selection, deadline, answerBy, out Task<ScrapeResult> mine);
            _open = created;
            _ = RunAsync(created);
            return mine;
        }
    }

    private async Task RunAsync(PendingCollection collection)
    {
        bool queued = !_building.Wait(0);
        if (queued)
            await _building.WaitAsync().ConfigureAwait(false);
        try
        {
            // Off the caller's stack: the first request must not run a whole collection inside CollectAsync.
            await Task.Run(() => Collect(collection, queued)).ConfigureAwait(false);
        }
        finally
        {
            _building.Release();
        }
    }

    /// <param name="queued">Whether it waited for the collection before it.</param>
    private void Collect(PendingCollection collection, bool queued)
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
                snapshot = builder.Build(hardStop.Token, () => collection.Deadline.Passed);
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
        var result = new ScrapeResult(registry, only is null ? Web.ListenerRow.From(snapshot) : null, null, DateTime.UtcNow)
        {
            Partial = CollectorRunner.CutShort(snapshot, SnapshotParts.Processes | SnapshotParts.Sockets),
        };
        if (only is null)
            Latest = result with { Registry = null };
        return result;
    }

    private static ScrapeResult Failed(string reason) => new(null, null, reason, DateTime.UtcNow);
}

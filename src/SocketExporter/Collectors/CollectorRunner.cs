using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Prometheus;
using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Collectors;

/// <summary>
/// Runs each enabled collector over one snapshot, the way node_exporter's execute() does: times it, and turns
/// an exception into socket_exporter_collector_success = 0 while the other collectors still export.
/// </summary>
public sealed class CollectorRunner(IReadOnlyList<ISnapshotCollector> collectors, ILogger logger)
{
    public IReadOnlyList<ISnapshotCollector> Collectors => collectors;

    /// <returns>How many collectors succeeded.</returns>
    public int Run(ScrapeSnapshot snapshot, MetricWriter writer, IMetricFactory metrics, IReadOnlySet<string>? only = null)
    {
        Gauge duration = metrics.CreateGauge("socket_exporter_collector_duration_seconds",
            "Time a collector took to turn the snapshot into metrics.", ["collector"]);
        Gauge success = metrics.CreateGauge("socket_exporter_collector_success",
            "1 when the collector succeeded in this scrape, 0 when it failed (its metrics are then missing or partial).", ["collector"]);
        var selected = collectors.Where(c => only is null || only.Contains(c.Name)).ToList();
        // Preparations (ISnapshotCollector.PreparesBeside) start first, on the thread pool; each collector's Update
        // still comes in order, after its own preparation.
        var preparations = selected.Where(c => c.PreparesBeside).ToDictionary(c => c, c => Task.Run(() => Prepare(c, snapshot)));
        var outcomes = selected.Select(c => RunOne(c, snapshot, writer, duration, success,
            preparations.TryGetValue(c, out Task<(Exception?, TimeSpan)>? p) ? p.GetAwaiter().GetResult() : default)).ToList();
        int succeeded = outcomes.Count(o => o.Ok);
        List<string>? cutShort = outcomes.Where(o => o.CutShort).Select(o => o.Name).ToList() is { Count: > 0 } names ? names : null;
        // One line per scrape, not one per collector: the cause is the same for all of them.
        if (cutShort is not null)
            logger.LogWarning("partial scrape: {Shortfall}; collectors {Collectors} report success 0",
                string.Join("; ", new[] { CutShort(snapshot, SnapshotParts.Processes), CutShort(snapshot, SnapshotParts.Sockets) }.OfType<string>()),
                string.Join(", ", cutShort));
        return succeeded;
    }

    // The preparation's failure is the collector's, reported as an Update failure would be; its time adds to the
    // collector's duration.
    private static (Exception? Failure, TimeSpan Took) Prepare(ISnapshotCollector collector, ScrapeSnapshot snapshot)
    {
        long started = Stopwatch.GetTimestamp();
        try
        {
            collector.Prepare(snapshot);
            return (null, Stopwatch.GetElapsedTime(started));
        }
        catch (Exception e)
        {
            return (e, Stopwatch.GetElapsedTime(started));
        }
    }

    private (string Name, bool Ok, bool CutShort) RunOne(ISnapshotCollector collector, ScrapeSnapshot snapshot, MetricWriter writer,
        Gauge duration, Gauge success, (Exception? Failure, TimeSpan Took) prepared)
    {
        var clock = Stopwatch.StartNew();
        bool ok, cutShort = false;
        try
        {
            if (prepared.Failure is { } failure)
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
            collector.Update(snapshot, writer);
            // What it wrote stays (a partial answer beats none), but it is not the whole truth: say so.
            ok = CutShort(snapshot, collector.Reads) is null;
            cutShort = !ok;
        }
        catch (Exception e)   // the one place that catches everything: a collector bug must not fail the scrape
        {
            ok = false;
            logger.LogError("collector {Collector} failed: {Error}", collector.Name, e is CollectorDataUnavailableException ? e.Message : e.ToString());
        }
        duration.WithLabels(collector.Name).Set((prepared.Took + clock.Elapsed).TotalSeconds);
        success.WithLabels(collector.Name).Set(ok ? 1 : 0);
        return (collector.Name, ok, cutShort);
    }

    /// <summary>Why a collector reading <paramref name="parts"/> is partial in this snapshot, or null when it is not.</summary>
    public static string? CutShort(ScrapeSnapshot snapshot, SnapshotParts parts)
    {
        if (parts.HasFlag(SnapshotParts.Processes) && snapshot.SkippedProcesses > 0)
            return $"the scrape deadline passed with {snapshot.SkippedProcesses} processes not read";
        if (parts.HasFlag(SnapshotParts.Sockets) && snapshot.SkippedNamespaces > 0)
            return $"the scrape deadline passed with {snapshot.SkippedNamespaces} network namespaces not read";
        return null;
    }
}

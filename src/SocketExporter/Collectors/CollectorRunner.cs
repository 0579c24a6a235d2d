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
        int succeeded = 0;
        List<string>? cutShort = null;
        foreach (ISnapshotCollector collector in collectors)
        {
            if (only is not null && !only.Contains(collector.Name))
                continue;
            var clock = Stopwatch.StartNew();
            bool ok;
            try
            {
                collector.Update(snapshot, writer);
                // What it wrote stays (a partial answer beats none), but it is not the whole truth: say so.
                ok = CutShort(snapshot, collector.Reads) is null;
                if (!ok)
                    (cutShort ??= []).Add(collector.Name);
            }
            catch (Exception e)   // the one place that catches everything: a collector bug must not fail the scrape
            {
                ok = false;
                logger.LogError("collector {Collector} failed: {Error}", collector.Name, e is CollectorDataUnavailableException ? e.Message : e.ToString());
            }
            duration.WithLabels(collector.Name).Set(clock.Elapsed.TotalSeconds);
            success.WithLabels(collector.Name).Set(ok ? 1 : 0);
            if (ok) succeeded++;
        }
        // One line per scrape, not one per collector: the cause is the same for all of them.
        if (cutShort is not null)
            logger.LogWarning("partial scrape: {Shortfall}; collectors {Collectors} report success 0",
                string.Join("; ", new[] { CutShort(snapshot, SnapshotParts.Processes), CutShort(snapshot, SnapshotParts.Sockets) }.OfType<string>()),
                string.Join(", ", cutShort));
        return succeeded;
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

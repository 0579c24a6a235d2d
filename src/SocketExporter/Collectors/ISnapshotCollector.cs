using Prometheus;
using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Collectors;

/// <summary>Turns one concern of a snapshot into metrics. Collectors read only the snapshot: no I/O.</summary>
public interface ISnapshotCollector
{
    /// <summary>The name used in --collector.NAME / --no-collector.NAME and the collector label.</summary>
    string Name { get; }

    /// <summary>Writes into this collection's fresh factory; nothing here outlives the scrape.</summary>
    void Update(ScrapeSnapshot snapshot, MetricWriter metrics);
}

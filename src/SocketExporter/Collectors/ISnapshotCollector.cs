using Prometheus;
using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Collectors;

/// <summary>Turns one concern of a snapshot into metrics. Collectors read only the snapshot: no I/O.</summary>
public interface ISnapshotCollector
{
    /// <summary>The name used in --collector.NAME / --no-collector.NAME and the collector label.</summary>
    string Name { get; }

    /// <summary>What its series are made of. The builder reads only the optional parts some enabled collector names
    /// (<see cref="SnapshotNeeds"/>); a snapshot cut short at the scrape deadline in <see cref="SnapshotParts.Processes"/>
    /// or <see cref="SnapshotParts.Sockets"/> makes them partial, and the collector is then reported as failed.</summary>
    SnapshotParts Reads { get; }

    /// <summary>Writes into this collection's fresh factory; nothing here outlives the scrape.</summary>
    void Update(ScrapeSnapshot snapshot, MetricWriter metrics);
}

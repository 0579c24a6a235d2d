using Prometheus;
using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Collectors;

/// <summary>Turns one concern of a snapshot into metrics. Collectors read only the snapshot: no I/O.</summary>
public interface ISnapshotCollector
{
    /// <summary>The name used in --collector.NAME / --no-collector.NAME and the collector label.</summary>
    string Name { get; }

    /// <summary>What its series are made of: a snapshot cut short at the scrape deadline in one of these parts makes
    /// them partial, and the collector is then reported as failed.</summary>
    SnapshotParts Reads { get; }

    /// <summary>Writes into this collection's fresh factory; nothing here outlives the scrape.</summary>
    void Update(ScrapeSnapshot snapshot, MetricWriter metrics);
}

/// <summary>The parts of a snapshot a collector reads.</summary>
[Flags]
public enum SnapshotParts
{
    /// <summary>The process walk: identities, descriptors, and who holds each socket.</summary>
    Processes = 1,
    /// <summary>The socket tables of every network namespace.</summary>
    Sockets = 2,
}

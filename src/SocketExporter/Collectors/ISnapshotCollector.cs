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

    /// <summary>True for a collector whose <see cref="Prepare"/> does most of its work and depends on no other
    /// collector: the runner starts that on a thread of its own before the collectors run, so its time overlaps theirs
    /// instead of adding to the scrape. Update still runs in the collectors' order (so the exposition's order and the
    /// series budget do not depend on timing) and finds the work done.</summary>
    bool PreparesBeside => false;

    /// <summary>The independent part of Update, for <see cref="PreparesBeside"/> collectors: reads the snapshot, writes no
    /// metrics. Update must give the same answer whether it ran or not.</summary>
    void Prepare(ScrapeSnapshot snapshot) { }
}

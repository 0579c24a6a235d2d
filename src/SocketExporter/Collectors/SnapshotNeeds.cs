using SocketExporter.Linux.Reading;

namespace SocketExporter.Collectors;

/// <summary>What the snapshot builder reads, from what the enabled collectors declare they read: optional parts no
/// enabled collector needs cost nothing.</summary>
public static class SnapshotNeeds
{
    public static SnapshotParts Of(IEnumerable<ISnapshotCollector> collectors)
    {
        SnapshotParts needed = 0;
        foreach (ISnapshotCollector collector in collectors)
            needed |= collector.Reads;
        return needed;
    }

    /// <summary><paramref name="options"/> without the optional reads that <paramref name="needed"/> leaves out, and with
    /// tcp_info asked for only when it names it.</summary>
    public static SnapshotOptions Narrow(SnapshotOptions options, SnapshotParts needed) => options with
    {
        ClassifyPathDescriptors = options.ClassifyPathDescriptors && needed.HasFlag(SnapshotParts.DescriptorKinds),
        ReadFdLimits = options.ReadFdLimits && needed.HasFlag(SnapshotParts.FdLimits),
        WatchPaths = needed.HasFlag(SnapshotParts.WatchedPaths) ? options.WatchPaths : [],
        Sockets = options.Sockets with { TcpInfo = needed.HasFlag(SnapshotParts.TcpInfo) },
    };
}

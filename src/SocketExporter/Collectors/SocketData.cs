using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Collectors;

internal static class SocketData
{
    /// <summary>A collector whose data source failed must fail (success 0), never export an empty set as if it were true.</summary>
    public static void ThrowIfUnavailable(ScrapeSnapshot snapshot)
    {
        if (snapshot.SocketsFailed)
            throw new CollectorDataUnavailableException("no socket table could be read: " +
                string.Join("; ", snapshot.SocketTables.Select(t => t.Error ?? t.NetlinkError)));
    }
}

/// <summary>The snapshot lacks what a collector needs; the runner reports the collector as failed.</summary>
public sealed class CollectorDataUnavailableException(string message) : Exception(message);

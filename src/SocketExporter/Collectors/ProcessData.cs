using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Collectors;

internal static class ProcessData
{
    public static void ThrowIfUnavailable(ScrapeSnapshot snapshot)
    {
        if (snapshot.ProcessError is not null)
            throw new CollectorDataUnavailableException("processes could not be read: " + snapshot.ProcessError);
    }

    /// <summary>Kernel threads and processes with an unreadable fd table have no descriptors to show.</summary>
    public static bool IsExported(ProcessEntry process) => process.FdsReadable && process.Fds.Total > 0;
}

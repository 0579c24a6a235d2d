using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Collectors;

/// <summary>
/// socket_path_holders: `fuser -vm PATH` — the processes that keep a watched path's filesystem busy (why
/// `umount` says "target is busy"), matched by the filesystem's device number.
/// </summary>
public sealed class PathHoldersCollector : ISnapshotCollector
{
    public string Name => "path_holders";
    public SnapshotParts Reads => SnapshotParts.Processes | SnapshotParts.WatchedPaths;

    private static readonly string[] AccessNames = ["fd", "cwd", "root", "exe", "mmap"];

    public void Update(ScrapeSnapshot snapshot, MetricWriter metrics)
    {
        ProcessData.ThrowIfUnavailable(snapshot);
        BudgetedGauge holders = metrics.Gauge("socket_path_holders",
            "How a process uses the filesystem of a watched path (--watch.path): access=fd (open files), cwd, root, exe or mmap " +
            "(mapped files); value is the number of descriptors or mappings, 1 for cwd/root/exe.",
            ["path", "pid", "program", "access"]);
        foreach (PathHold hold in snapshot.PathHolds)
        {
            ProcessIdentity id = snapshot.Processes[hold.ProcessIndex].Identity;
            holders.Add(hold.Count, snapshot.Watches[hold.WatchIndex].Path, id.PidText, id.Program, AccessNames[(int)hold.Access]);
        }
    }
}

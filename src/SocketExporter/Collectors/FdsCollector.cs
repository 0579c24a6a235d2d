using Prometheus;
using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Collectors;

/// <summary>
/// socket_process_fds and socket_process_fd_limit: `lsof -p PID` counted by TYPE, and the soft
/// RLIMIT_NOFILE from /proc/[pid]/limits, so fds / limit is the usage ratio to alert on.
/// </summary>
public sealed class FdsCollector : ISnapshotCollector
{
    public string Name => "fds";
    public SnapshotParts Reads => SnapshotParts.Processes | SnapshotParts.DescriptorKinds | SnapshotParts.FdLimits;

    public void Update(ScrapeSnapshot snapshot, MetricWriter metrics)
    {
        ProcessData.ThrowIfUnavailable(snapshot);
        BudgetedGauge fds = metrics.Gauge("socket_process_fds",
            "Open file descriptors of a process by kind (socket, file, pipe, anon_inode, char_device, block_device, directory, other). " +
            "Kinds with no descriptors are absent.",
            ["pid", "program", "kind"]);
        // With --metrics.drop-pid a program's processes share one series: a sum of their limits means nothing, the
        // smallest is the limit the first process to run out hits, so fds / limit stays an upper bound of the fullest.
        BudgetedGauge limit = metrics.Gauge("socket_process_fd_limit",
            "Soft limit on open file descriptors (RLIMIT_NOFILE) of a process; +Inf when unlimited. " +
            "Without the pid label (--metrics.drop-pid): the smallest limit among the program's processes.",
            ["pid", "program"], SeriesAggregation.Min);

        foreach (ProcessEntry p in snapshot.Processes)
        {
            if (!ProcessData.IsExported(p))
                continue;
            for (int k = 0; k < FdKindNames.Count; k++)
            {
                int count = p.Fds[(FdKind)k];
                if (count > 0)
                    fds.Add(count, p.Identity.PidText, p.Identity.Program, FdKindNames.LabelValue((FdKind)k));
            }
            if (p.FdLimit is long l)
                limit.Add(l == long.MaxValue ? double.PositiveInfinity : l, p.Identity.PidText, p.Identity.Program);
        }
    }
}

using Prometheus;
using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Collectors;

/// <summary>
/// socket_process_info = 1 per process with descriptors: who the process is, joined in PromQL with
/// `* on(pid) group_left(user) socket_process_info` instead of repeating the labels on every series.
/// Command lines and environments are never exported: they carry secrets.
/// </summary>
public sealed class ProcessInfoCollector : ISnapshotCollector
{
    public string Name => "process_info";

    public void Update(ScrapeSnapshot snapshot, MetricWriter metrics)
    {
        ProcessData.ThrowIfUnavailable(snapshot);
        BudgetedGauge info = metrics.Gauge("socket_process_info",
            "Identity of a process that holds descriptors (1 per process): program is the kernel's comm, user the effective user.",
            ["pid", "program", "user"]);
        foreach (ProcessEntry p in snapshot.Processes)
        {
            if (ProcessData.IsExported(p))
                info.Add(1, p.Identity.PidText, p.Identity.Program, p.Identity.User);
        }
    }
}

using Prometheus;
using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Collectors;

/// <summary>
/// socket_process_info = 1 per process with descriptors: who the process is, joined in PromQL with
/// `* on(pid) group_left(user, container_id, pod_uid) socket_process_info` instead of repeating the labels on every series.
/// Command lines and environments are never exported: they carry secrets.
/// </summary>
public sealed class ProcessInfoCollector : ISnapshotCollector
{
    public string Name => "process_info";
    public SnapshotParts Reads => SnapshotParts.Processes;

    public void Update(ScrapeSnapshot snapshot, MetricWriter metrics)
    {
        ProcessData.ThrowIfUnavailable(snapshot);
        BudgetedGauge info = metrics.Gauge("socket_process_info",
            "Identity of a process that holds descriptors (1 per process): program is the kernel's comm, user the effective user, " +
            "netns its network namespace, container_id / pod_uid as kube-state-metrics writes them, systemd_unit the deepest .service.",
            ["pid", "program", "user", "netns", "container_id", "pod_uid", "systemd_unit"]);
        foreach (ProcessEntry p in snapshot.Processes)
        {
            if (ProcessData.IsExported(p))
            {
                ProcessIdentity id = p.Identity;
                info.Add(1, id.PidText, id.Program, id.User, p.NetNs, id.Cgroup.ContainerId, id.Cgroup.PodUid, id.Cgroup.SystemdUnit);
            }
        }
    }
}

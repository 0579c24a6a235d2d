namespace SocketExporter.Linux.Snapshot;

/// <summary>
/// Who a process is to its orchestrator, from /proc/[pid]/cgroup. <see cref="ContainerId"/> is written the way
/// kube-state-metrics writes container_id ("containerd://…", "cri-o://…", "docker://…"), or the bare id when the
/// path does not name the runtime (the cgroupfs driver). <see cref="PodUid"/> has dashes, as kube_pod_info{uid}.
/// Empty strings when unknown.
/// </summary>
public sealed record CgroupInfo(string ContainerId, string PodUid, string SystemdUnit)
{
    public static CgroupInfo None { get; } = new("", "", "");
}

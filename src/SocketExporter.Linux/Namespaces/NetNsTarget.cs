namespace SocketExporter.Linux.Namespaces;

/// <summary>
/// A network namespace to read: its nsfs inode, a process inside it (for /proc/[pid]/net and /proc/[pid]/ns/net),
/// or a bind-mounted name under /run/netns when no process lives there.
/// </summary>
public sealed record NetNsTarget(ulong Inode, int? Pid, string? NamedPath)
{
    public bool IsHost { get; init; }

    /// <summary>The exporter's own namespace: read without setns.</summary>
    public bool IsOwn { get; init; }

    /// <summary>The label value: "host" for the host's namespace (pid 1's), else the inode.</summary>
    public string Label => IsHost ? "host" : Inode.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The nsfs path to enter it through (setns): its /run/netns name, else /proc/PID/ns/net of the process
    /// inside; null for the exporter's own (never entered) and for a namespace with neither.</summary>
    public string? NsPath(string procfsPath) => IsOwn ? null
        : NamedPath ?? (Pid is int pid ? Path.Combine(procfsPath, pid.ToString(System.Globalization.CultureInfo.InvariantCulture), "ns", "net") : null);
}

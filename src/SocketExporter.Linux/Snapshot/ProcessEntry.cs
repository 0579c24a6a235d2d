namespace SocketExporter.Linux.Snapshot;

/// <summary>Who a process is: fixed for its lifetime, so cached per (pid, start time).</summary>
public sealed record ProcessIdentity(int Pid, string PidText, string Program, uint Uid, string User, ulong StartTicks)
{
    /// <summary>Container, pod and systemd unit from /proc/[pid]/cgroup.</summary>
    public CgroupInfo Cgroup { get; init; } = CgroupInfo.None;
}

/// <summary>Descriptor counts of one process by kind (see <see cref="FdKind"/>).</summary>
public struct FdKindCounts
{
    private FdKindArray _counts;

    public readonly int this[FdKind kind] => _counts[(int)kind];

    public void Increment(FdKind kind) => _counts[(int)kind]++;

    public readonly int Total
    {
        get
        {
            int total = 0;
            foreach (int c in _counts) total += c;
            return total;
        }
    }

    [System.Runtime.CompilerServices.InlineArray(FdKindNames.Count)]
    private struct FdKindArray { private int _element; }
}

/// <summary>One process seen in this scrape.</summary>
public sealed class ProcessEntry(ProcessIdentity identity)
{
    public ProcessIdentity Identity { get; } = identity;
    public int Pid => Identity.Pid;

    /// <summary>False when the fd table could not be read (permission denied): its sockets are hidden.</summary>
    public bool FdsReadable { get; set; } = true;

    public FdKindCounts Fds;

    /// <summary>The label of the process's own network namespace ("host", an inode, or "" when unreadable).</summary>
    public string NetNs { get; set; } = "";

    /// <summary>Soft RLIMIT_NOFILE; null when /proc/[pid]/limits could not be read, long.MaxValue for "unlimited".</summary>
    public long? FdLimit { get; set; }
}

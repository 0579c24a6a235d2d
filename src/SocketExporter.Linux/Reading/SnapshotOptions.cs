namespace SocketExporter.Linux.Reading;

public sealed record SnapshotOptions
{
    /// <summary>The default's ceiling: the walk is kernel time in readlinkat per descriptor, which scales with cores, but
    /// every thread also wants its own buffers and the socket dumps run beside the walk; a few threads take most of the gain.</summary>
    public const int MaxDefaultWalkWorkers = 4;

    /// <summary>Threads walking /proc (--scrape.walk-workers): by default as many as the cores the exporter may use
    /// (Environment.ProcessorCount counts a cgroup CPU limit and the affinity mask), at most <see cref="MaxDefaultWalkWorkers"/>.</summary>
    public static int DefaultWalkWorkers => Math.Clamp(Environment.ProcessorCount, 1, MaxDefaultWalkWorkers);

    /// <summary>Threads that read processes at once, the calling thread included (see ProcessWalk); at least 1.</summary>
    public int WalkWorkers { get; init; } = DefaultWalkWorkers;

    /// <summary>Mount point of the proc filesystem to read (--path.procfs).</summary>
    public string ProcfsPath { get; init; } = "/proc";

    /// <summary>statx path targets to tell files, directories and devices apart (descriptor kinds, device holders).</summary>
    public bool ClassifyPathDescriptors { get; init; } = true;

    /// <summary>Read /proc/[pid]/limits for the descriptor limit.</summary>
    public bool ReadFdLimits { get; init; } = true;

    /// <summary>Skip sock_diag and read /proc/net only.</summary>
    public bool ProcNetOnly { get; init; }

    /// <summary>Read every network namespace (true) or only the exporter's own (false).</summary>
    public bool AllNamespaces { get; init; } = true;

    /// <summary>Namespaces whose label ("host" or the inode) fails this are not read at all (--filter.netns.*).</summary>
    public Func<string, bool>? NamespaceFilter { get; init; }

    /// <summary>Enter other namespaces with setns (needs CAP_SYS_ADMIN); false reads their /proc/[pid]/net.</summary>
    public bool UseSetns { get; init; } = true;

    /// <summary>Which tables and sockets of each namespace are read (a one-shot question about a port reads only that port's).</summary>
    public SocketScope Sockets { get; init; } = SocketScope.Everything;

    /// <summary>
    /// Record only the processes that hold one of the snapshot's TCP/UDP sockets. The socket tables are read first, then
    /// each process's fd table; a process's identity (status, cgroup) is read only when it holds one, and its
    /// limits, paths and other sockets are not recorded. For a question about one port, where the kernel-filtered dump
    /// is tiny and most processes hold none of it.
    /// </summary>
    public bool OnlySocketHolders { get; init; }

    /// <summary>Paths whose filesystems are checked for holders, as `fuser -vm PATH` does (--watch.path).</summary>
    public IReadOnlyList<string> WatchPaths { get; init; } = [];
}

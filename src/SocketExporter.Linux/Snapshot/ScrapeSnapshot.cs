
namespace SocketExporter.Linux.Snapshot;

/// <summary>
/// Everything one scrape read from the kernel, immutable once built. Collectors read only this, so a
/// hand-built snapshot is enough to test them.
/// </summary>
public sealed class ScrapeSnapshot
{
    /// <summary>Every network namespace read, the host's first: the one copy of the sockets. Views across namespaces
    /// (<see cref="Sockets"/>, <see cref="UnixSockets"/>, <see cref="SocketTables"/>) are derived from it, so a
    /// snapshot cannot say two things about one socket.</summary>
    public required IReadOnlyList<NetNsSnapshot> Namespaces { get; init; }

    /// <summary>All namespaces' TCP and UDP sockets, in namespace order.</summary>
    public IEnumerable<SocketEntry> Sockets => Namespaces.SelectMany(static n => n.Sockets);

    /// <summary>All namespaces' AF_UNIX sockets, in namespace order.</summary>
    public IEnumerable<UnixSocketEntry> UnixSockets => Namespaces.SelectMany(static n => n.UnixSockets);

    /// <summary>How each table of each namespace was read, in namespace order.</summary>
    public IEnumerable<SocketTableStatus> SocketTables => Namespaces.SelectMany(static n => n.SocketTables);
    public required IReadOnlyList<ProcessEntry> Processes { get; init; }
    public required SocketOwnerIndex Owners { get; init; }
    public IReadOnlyList<DeviceHold> DeviceHolds { get; init; } = [];

    /// <summary>Host paths of device nodes by device number (only the devices that are held).</summary>
    public IReadOnlyDictionary<DeviceNumber, string> DeviceNames { get; init; } = new Dictionary<DeviceNumber, string>();

    /// <summary>Watched paths that resolved this scrape, and those that did not (missing or unreadable: What is the path).</summary>
    public IReadOnlyList<WatchedPath> Watches { get; init; } = [];
    public IReadOnlyList<ReadFailure> WatchErrors { get; init; } = [];
    public IReadOnlyList<PathHold> PathHolds { get; init; } = [];

    /// <summary>Why no process could be read at all (the proc root is missing or unreadable); null when it was read.</summary>
    public ReadFailure? ProcessError { get; init; }

    /// <summary>Network namespaces no process is in, found through one of a process's threads (and read through it).</summary>
    public int ThreadOnlyNamespaces { get; init; }

    /// <summary>Network namespaces held open only through an nsfs descriptor ("net:[N]") that no process or thread is in: not read.</summary>
    public int DescriptorOnlyNamespaces { get; init; }

    /// <summary>What the proc root turned out to be this scrape (null when it could not be opened or listed).</summary>
    public ProcRootStatus? ProcRoot { get; init; }

    /// <summary>Processes whose fd table was denied: their sockets cannot be attributed.</summary>
    public int UnreadableProcesses { get; init; }

    /// <summary>Processes whose files were present but malformed, or whose reads failed with an unexpected errno.</summary>
    public int FailedProcesses { get; init; }

    /// <summary>Descriptors whose /proc/[pid]/fd link could not be read (a path longer than PATH_MAX…): each was still
    /// counted by the kind statx found, and the rest of its process's table was read.</summary>
    public FdReadProblems UnreadableDescriptors { get; init; }

    /// <summary>Processes not read because the scrape deadline passed during the walk: attribution is then partial.</summary>
    public int SkippedProcesses { get; init; }

    /// <summary>Network namespaces not read because the scrape deadline had passed.</summary>
    public int SkippedNamespaces => Namespaces.Count(n => n.SkippedAtDeadline);

    /// <summary>Seconds spent reading sockets and processes.</summary>
    public double SocketReadSeconds { get; init; }
    public double ProcessReadSeconds { get; init; }

    /// <summary>True when no TCP/UDP table of any namespace could be read: socket metrics must fail, not read zero.</summary>
    public bool SocketsFailed => Namespaces.Count > 0 && Namespaces.All(n => n.SocketsFailed);

    /// <summary>True when no namespace's AF_UNIX table could be read.</summary>
    public bool UnixSocketsFailed => Namespaces.Count > 0 && Namespaces.All(n => n.UnixSocketsFailed);
}

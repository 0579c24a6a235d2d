namespace SocketExporter.Linux.Reading;

public sealed record SnapshotOptions
{
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

    /// <summary>Paths whose filesystems are checked for holders, as `fuser -vm PATH` does (--watch.path).</summary>
    public IReadOnlyList<string> WatchPaths { get; init; } = [];
}

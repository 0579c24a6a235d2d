namespace SocketExporter.Collectors;

/// <summary>The parts of a snapshot a collector reads (<see cref="ISnapshotCollector.Reads"/>).</summary>
[Flags]
public enum SnapshotParts
{
    /// <summary>The process walk: identities, descriptors, and who holds each socket.</summary>
    Processes = 1,
    /// <summary>The socket tables of every network namespace.</summary>
    Sockets = 2,
    /// <summary>Optional: a statx per path descriptor, telling files, directories and devices apart (descriptor kinds,
    /// device holders). About 8% of a scrape on a busy host.</summary>
    DescriptorKinds = 4,
    /// <summary>Optional: each process's /proc/PID/limits (its descriptor limit).</summary>
    FdLimits = 8,
    /// <summary>Optional: the filesystems of the --watch.path paths, and each process's cwd, root, exe and mappings on them.</summary>
    WatchedPaths = 16,
    /// <summary>Optional: each connected TCP socket's tcp_info in the sock_diag dumps (bytes, retransmits, RTT). ~280 more
    /// bytes per socket to copy out; small namespaces are dumped rather than read as text.</summary>
    TcpInfo = 32,
}

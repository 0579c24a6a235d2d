using SocketExporter.Linux.ProcFs;

namespace SocketExporter.Linux.Snapshot;

/// <summary>
/// Everything one scrape read from the kernel, immutable once built. Collectors read only this, so a
/// hand-built snapshot is enough to test them.
/// </summary>
public sealed class ScrapeSnapshot
{
    public required IReadOnlyList<SocketEntry> Sockets { get; init; }
    public IReadOnlyList<UnixSocketEntry> UnixSockets { get; init; } = [];
    public required IReadOnlyList<SocketTableStatus> SocketTables { get; init; }
    public required IReadOnlyList<ProcessEntry> Processes { get; init; }
    public required SocketOwnerIndex Owners { get; init; }
    public IReadOnlyList<DeviceHold> DeviceHolds { get; init; } = [];

    /// <summary>Host paths of device nodes by device number (only the devices that are held).</summary>
    public IReadOnlyDictionary<DeviceNumber, string> DeviceNames { get; init; } = new Dictionary<DeviceNumber, string>();

    /// <summary>Watched paths that resolved this scrape, and those that did not (missing or unreadable).</summary>
    public IReadOnlyList<WatchedPath> Watches { get; init; } = [];
    public IReadOnlyList<string> WatchErrors { get; init; } = [];
    public IReadOnlyList<PathHold> PathHolds { get; init; } = [];

    /// <summary>Why no process could be read at all (the proc root is missing or unreadable); null when it was read.</summary>
    public string? ProcessError { get; init; }

    /// <summary>Processes whose fd table was denied: their sockets cannot be attributed.</summary>
    public int UnreadableProcesses { get; init; }

    /// <summary>Processes whose files were present but malformed, or whose reads failed with an unexpected errno.</summary>
    public int FailedProcesses { get; init; }

    /// <summary>Seconds spent reading sockets and processes.</summary>
    public double SocketReadSeconds { get; init; }
    public double ProcessReadSeconds { get; init; }

    /// <summary>True when every socket table failed: socket-derived metrics must report failure, not zero.</summary>
    public bool SocketsFailed
    {
        get
        {
            foreach (SocketTableStatus t in SocketTables)
                if (t.Source != SocketSource.None && t.Protocol != SocketProtocol.Unix) return false;
            return true;
        }
    }

    /// <summary>True when the AF_UNIX table could not be read from either source.</summary>
    public bool UnixSocketsFailed => !SocketTables.Any(t => t.Protocol == SocketProtocol.Unix && t.Source != SocketSource.None);

    private HashSet<uint>? _listeningPorts;

    /// <summary>(protocol, local port) pairs with a listener: what makes a connection "inbound".</summary>
    public bool IsListeningPort(SocketProtocol protocol, ushort port)
    {
        _listeningPorts ??= BuildListeningPorts();
        return _listeningPorts.Contains(((uint)protocol << 16) | port);
    }

    private HashSet<uint> BuildListeningPorts()
    {
        var ports = new HashSet<uint>();
        foreach (SocketEntry s in Sockets)
            if (s.IsListening && s.LocalPort != 0)
                ports.Add(((uint)s.Protocol << 16) | s.LocalPort);
        return ports;
    }
}

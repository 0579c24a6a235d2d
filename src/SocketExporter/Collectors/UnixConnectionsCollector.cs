using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Collectors;

/// <summary>
/// socket_unix_connections: `ss -xp` for connected stream and seqpacket sockets, counted under the path of the
/// listener they belong to. The accepted (server) side carries its listener's name; a client is named through
/// its peer. Unnamed pairs (socketpair) and clients whose server side is not accepted yet have no path and are
/// not counted.
/// </summary>
public sealed class UnixConnectionsCollector : ISnapshotCollector
{
    public string Name => "unix_connections";
    public SnapshotParts Reads => SnapshotParts.Sockets | SnapshotParts.Processes;

    public void Update(ScrapeSnapshot snapshot, MetricWriter metrics)
    {
        if (snapshot.UnixSocketsFailed)
            throw new CollectorDataUnavailableException("the unix socket table could not be read");
        BudgetedGauge connections = metrics.Gauge("socket_unix_connections",
            "Connected unix stream/seqpacket sockets by the listener path they belong to (server side and clients), per process.",
            ["path", "state", "pid", "program", "netns"]).ForUnixPaths();   // paths anyone can create: a limit of their own

        foreach (NetNsSnapshot ns in snapshot.Namespaces)
        {
            var names = new Dictionary<ulong, string>();
            foreach (UnixSocketEntry s in ns.UnixSockets)
                if (s.Name is not null && s.Inode != 0)
                    names[s.Inode] = s.Name;

            var counts = new Dictionary<(string Path, SocketState State, int Process), int>();
            foreach (UnixSocketEntry s in ns.UnixSockets)
            {
                if (s.IsListening || !s.IsConnectionOriented || s.State == SocketState.Close)
                    continue;
                string? path = s.Name ?? (s.PeerInode != 0 && names.TryGetValue(s.PeerInode, out string? peerName) ? peerName : null);
                if (path is null)
                    continue;
                foreach (int process in snapshot.Owners.HoldersOrUnheld(s.Inode))
                    counts[(path, s.State, process)] = counts.GetValueOrDefault((path, s.State, process)) + 1;
            }
            foreach (((string path, SocketState state, int process), int count) in counts)
                connections.Add(count, path, SocketStateNames.LabelValue(state), Labels.Pid(snapshot, process), Labels.Program(snapshot, process), ns.Label);
        }
    }
}

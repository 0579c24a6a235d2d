
namespace SocketExporter.Linux.Snapshot;

/// <summary>How a namespace's socket tables were read.</summary>
public enum NetNsMethod
{
    /// <summary>sock_diag from the exporter's own namespace.</summary>
    Netlink,
    /// <summary>sock_diag through a socket created inside the namespace after setns().</summary>
    Setns,
    /// <summary>/proc/[pid]/net text of a process in the namespace (no CAP_SYS_ADMIN needed).</summary>
    ProcFs,
    /// <summary>Nothing could be read.</summary>
    None,
    /// <summary>Not read: the scrape deadline had passed when its turn came.</summary>
    Skipped,
}

/// <summary>The sockets of one network namespace. Series from different namespaces never merge.</summary>
public sealed class NetNsSnapshot
{
    public required ulong Inode { get; init; }

    /// <summary>The netns label value: "host" for the host's namespace, else the nsfs inode.</summary>
    public required string Label { get; init; }
    public bool IsHost { get; init; }

    /// <summary>The nsfs path through which it can be entered (setns): its /run/netns name or /proc/PID/ns/net of a
    /// process inside, as found at this scrape; null for the exporter's own namespace. Checked against
    /// <see cref="Inode"/> whenever it is opened (the pid may be another process's by then).</summary>
    public string? NsPath { get; init; }
    public NetNsMethod Method { get; init; }
    /// <summary>Why sock_diag did not serve this namespace, when it did not.</summary>
    public ReadFailure? MethodError { get; init; }

    /// <summary>sock_diag was not used because the configuration says so (--socket.source or --netns.method=procfs).</summary>
    public bool SockDiagDisabled { get; init; }

    /// <summary>setns into this namespace was refused with EPERM: the exporter lacks CAP_SYS_ADMIN.</summary>
    public bool SetnsDenied { get; init; }

    /// <summary>The namespace's accept-queue drop counters from its /proc/PID/net/netstat; null when that could not be read.</summary>
    public ListenDropCounters? ListenDrops { get; init; }

    /// <summary>Why <see cref="ListenDrops"/> is null, when it is.</summary>
    public ReadFailure? ListenDropsError { get; init; }

    /// <summary>The namespace's net.ipv4.ip_local_port_range; <see cref="EphemeralPortRange.NewNamespaceDefault"/> when it
    /// could not be read (see <see cref="EphemeralPortsError"/>).</summary>
    public EphemeralPortRange EphemeralPorts { get; init; } = EphemeralPortRange.NewNamespaceDefault;

    /// <summary>Why <see cref="EphemeralPorts"/> could not be read although the namespace was entered (or, for the
    /// exporter's own, its /proc/sys). Null when it was read, and when the namespace was not entered: a foreign
    /// namespace's sysctl can only be read after setns() into it, and <see cref="MethodError"/> says why that did not happen.</summary>
    public ReadFailure? EphemeralPortsError { get; init; }

    /// <summary>Not read: the scrape deadline had passed when its turn came (see Reading.SnapshotBuilder.BuildAsync).</summary>
    public bool SkippedAtDeadline => Method == NetNsMethod.Skipped;
    public required IReadOnlyList<SocketEntry> Sockets { get; init; }
    public IReadOnlyList<UnixSocketEntry> UnixSockets { get; init; } = [];
    public required IReadOnlyList<SocketTableStatus> SocketTables { get; init; }

    /// <summary>tcp_info of the connected TCP sockets, by cookie: filled only when the scope asked for it
    /// (Reading.SocketScope.TcpInfo) and a TCP table was dumped with it (see <see cref="TcpInfoComplete"/>).</summary>
    public IReadOnlyList<TcpInfoEntry> TcpInfo { get; init; } = [];

    /// <summary>Environment.TickCount64 just before the tables were dumped: a socket destroyed before it cannot be in them.</summary>
    public long TcpInfoDumpedAtMs { get; init; }

    /// <summary>Both TCP tables came from dumps with tcp_info: every connected TCP socket of the namespace has its counters.</summary>
    public bool TcpInfoComplete => SocketTables.Count(t => t.Protocol == SocketProtocol.Tcp && t.TcpInfo) == 2;

    /// <summary>Raw, ping and packet sockets (from the namespace's /proc/net text).</summary>
    public IReadOnlyList<RawSocketEntry> RawSockets { get; init; } = [];

    /// <summary>Why <see cref="RawSockets"/> is incomplete or empty for want of reading, when it is.</summary>
    public ReadFailure? RawSocketsError { get; init; }

    /// <summary>Names of the interfaces this namespace's sockets are bound to, by ifindex (read in the namespace).</summary>
    public IReadOnlyDictionary<uint, string> InterfaceNames { get; init; } = new Dictionary<uint, string>();

    /// <summary>The name `ss` prints after '%' for a socket bound to interface <paramref name="ifindex"/>: its name,
    /// or "if" + index when it has none (deleted since the bind), as iproute2's ll_index_to_name does.</summary>
    public string InterfaceName(uint ifindex) =>
        InterfaceNames.TryGetValue(ifindex, out string? name) ? name : "if" + ifindex.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public static string MethodLabel(NetNsMethod method) => method switch
    {
        NetNsMethod.Netlink => "netlink",
        NetNsMethod.Setns => "setns",
        NetNsMethod.ProcFs => "procfs",
        NetNsMethod.Skipped => "skipped",
        _ => "none",
    };

    /// <summary>True when no TCP/UDP table of this namespace could be read.</summary>
    public bool SocketsFailed => !SocketTables.Any(t => t.Source != SocketSource.None && t.Protocol != SocketProtocol.Unix);

    public bool UnixSocketsFailed => !SocketTables.Any(t => t.Source != SocketSource.None && t.Protocol == SocketProtocol.Unix);

    /// <summary>
    /// A socket that offers a service on its local port: a TCP listener, or an unconnected UDP socket whose port is
    /// outside the ephemeral range. sock_diag cannot tell a UDP socket bound on purpose from one the kernel bound to an
    /// ephemeral port at its first sendto() (a resolver, a statsd client): the port is what tells them apart.
    /// Ports below 1024 are services whatever the range says (binding them is privileged).
    /// </summary>
    public bool IsService(in SocketEntry s) =>
        s.IsListening && (s.Protocol == SocketProtocol.Tcp || s.LocalPort < PrivilegedPorts || !EphemeralPorts.Contains(s.LocalPort));

    /// <summary>Ports below this need CAP_NET_BIND_SERVICE (net.ipv4.ip_unprivileged_port_start's default).</summary>
    private const ushort PrivilegedPorts = 1024;

    private HashSet<uint>? _listeningPorts;
    private SocketEntry[]? _services;

    /// <summary>The sockets of <see cref="Sockets"/> that are services (<see cref="IsService"/>: every TCP listener, and
    /// the UDP sockets <see cref="IsService"/> calls services), in the same order. On a busy node they are a few hundred
    /// of 100,000 sockets: the collectors that only look at listeners read these instead of each passing over all.</summary>
    public IReadOnlyList<SocketEntry> Services =>
        // Collectors may ask from two threads (a collector's preparation runs beside the others): both may build it, one is kept.
        LazyInitializer.EnsureInitialized(ref _services, BuildServices);

    private SocketEntry[] BuildServices() => Sockets.Where(s => IsService(s)).ToArray();

    /// <summary>(protocol, local port) pairs with a service (<see cref="IsService"/>) in this namespace.</summary>
    public bool IsListeningPort(SocketProtocol protocol, ushort port)
    {
        // Collectors may ask from two threads (a collector's preparation runs beside the others): both may build it, one is kept.
        return LazyInitializer.EnsureInitialized(ref _listeningPorts, BuildListeningPorts).Contains(((uint)protocol << 16) | port);
    }

    private HashSet<uint> BuildListeningPorts()
    {
        var ports = new HashSet<uint>();
        foreach (SocketEntry s in Services)
            if (s.LocalPort != 0)
                ports.Add(((uint)s.Protocol << 16) | s.LocalPort);
        return ports;
    }
}

using System.Globalization;
using System.Net;
using System.Text;
using Prometheus;
using SocketExporter.Collectors;
using SocketExporter.Linux.ProcFs;
using SocketExporter.Linux.Snapshot;
using SocketExporter.Tests.Infrastructure;

namespace SocketExporter.Tests.Collectors;

/// <summary>
/// Hand-built snapshots for collector tests, and a run of one collector into a fresh registry read back as text.
/// The only place in the tests that constructs a <see cref="ScrapeSnapshot"/>: tests describe namespaces (their
/// sockets), processes and what they hold; <see cref="Build()"/> derives every other view of the snapshot from that,
/// so a change to the snapshot's shape is adapted here once.
/// </summary>
internal sealed class SnapshotBuilding
{
    private readonly List<ProcessEntry> _processes = [];
    private readonly SocketOwnerIndex _owners = new();
    private readonly List<Namespace> _namespaces = [];
    private readonly List<DeviceHold> _deviceHolds = [];
    private readonly Dictionary<DeviceNumber, string> _deviceNames = [];
    private readonly List<WatchedPath> _watches = [];
    private readonly List<PathHold> _pathHolds = [];

    /// <summary>One network namespace's tables, filled fluently.</summary>
    public sealed class Namespace(ulong inode, string label, bool isHost)
    {
        public ulong Inode { get; } = inode;
        public string Label { get; } = label;
        public bool IsHost { get; } = isHost;
        public List<SocketEntry> Sockets { get; } = [];
        public List<UnixSocketEntry> UnixSockets { get; } = [];
        public List<RawSocketEntry> RawSockets { get; } = [];
        public Dictionary<uint, string> InterfaceNames { get; } = [];
        public EphemeralPortRange EphemeralPorts { get; set; } = EphemeralPortRange.NewNamespaceDefault;
        public ListenDropCounters? ListenDrops { get; set; }

        /// <summary>Where the TCP/UDP/unix tables came from: /proc/net text has no listener backlogs; None = unreadable.</summary>
        public SocketSource Source { get; set; } = SocketSource.Netlink;
        public string? RawSocketsError { get; set; }

        public Namespace Add(params SocketEntry[] sockets) { Sockets.AddRange(sockets); return this; }
        public Namespace Add(params UnixSocketEntry[] sockets) { UnixSockets.AddRange(sockets); return this; }
        public Namespace Add(params RawSocketEntry[] sockets) { RawSockets.AddRange(sockets); return this; }
        public Namespace Interface(uint index, string name) { InterfaceNames[index] = name; return this; }
    }

    /// <summary>The host's namespace (netns="host"), always the first.</summary>
    public Namespace Host => _namespaces.Count > 0 && _namespaces[0].IsHost ? _namespaces[0] : AddHost();

    private Namespace AddHost()
    {
        var host = new Namespace(4026531840, "host", true);
        _namespaces.Insert(0, host);
        return host;
    }

    /// <summary>Another network namespace, labelled by its inode as the exporter does.</summary>
    public Namespace Netns(ulong inode)
    {
        _ = Host;
        var ns = new Namespace(inode, inode.ToString(CultureInfo.InvariantCulture), false);
        _namespaces.Add(ns);
        return ns;
    }

    /// <summary>Adds a process holding <paramref name="socketInodes"/> (one socket descriptor each); returns its index.
    /// Name fdLimit when sockets follow an int limit: Process(10, "x", 1024, 5) picks the uid overload below.</summary>
    public int Process(int pid, string program, long? fdLimit = null, params ulong[] socketInodes) =>
        Process(pid, program, 0, fdLimit, socketInodes);

    public int Process(int pid, string program, uint uid, long? fdLimit, params ulong[] socketInodes)
    {
        var p = new ProcessEntry(new ProcessIdentity(pid, pid.ToString(CultureInfo.InvariantCulture), program, uid,
            uid == 0 ? "root" : uid.ToString(CultureInfo.InvariantCulture), (ulong)pid)) { FdLimit = fdLimit, NetNs = "host" };
        p.Fds.Increment(FdKind.File);   // stdin: every process the tests build has at least one descriptor
        _processes.Add(p);
        Holds(_processes.Count - 1, socketInodes);
        return _processes.Count - 1;
    }

    public ProcessEntry this[int process] => _processes[process];

    /// <summary>Sets what /proc/[pid]/cgroup said of a process (its identity is immutable: the entry is replaced).</summary>
    public SnapshotBuilding Cgroup(int process, CgroupInfo cgroup)
    {
        ProcessEntry old = _processes[process];
        _processes[process] = new ProcessEntry(old.Identity with { Cgroup = cgroup })
        {
            Fds = old.Fds, FdLimit = old.FdLimit, NetNs = old.NetNs, FdsReadable = old.FdsReadable,
        };
        return this;
    }

    /// <summary>Gives a process a socket descriptor on each inode (a socket several processes hold is shared).</summary>
    public SnapshotBuilding Holds(int process, params ulong[] socketInodes)
    {
        foreach (ulong inode in socketInodes)
        {
            _processes[process].Fds.Increment(FdKind.Socket);
            _owners.Add(inode, process);
        }
        return this;
    }

    /// <summary>More descriptors of one kind.</summary>
    public SnapshotBuilding Fds(int process, FdKind kind, int count)
    {
        for (int i = 0; i < count; i++)
            _processes[process].Fds.Increment(kind);
        return this;
    }

    /// <summary><paramref name="count"/> descriptors of a process on a device; <paramref name="path"/> its /dev name, if any.</summary>
    public SnapshotBuilding Device(int process, DeviceNumber device, string? path, int count = 1)
    {
        for (int i = 0; i < count; i++)
        {
            _processes[process].Fds.Increment(device.IsBlock ? FdKind.BlockDevice : FdKind.CharDevice);
            _deviceHolds.Add(new DeviceHold(process, device.IsBlock, device.Major, device.Minor));
        }
        if (path is not null)
            _deviceNames[device] = path;
        return this;
    }

    /// <summary>A --watch.path that resolved; returns its index.</summary>
    public int Watch(string path, uint major, uint minor)
    {
        _watches.Add(new WatchedPath(path, new FilesystemId(major, minor)));
        return _watches.Count - 1;
    }

    public SnapshotBuilding PathHold(int process, int watch, PathAccess access, int count = 1)
    {
        _pathHolds.Add(new PathHold(process, watch, access, count));
        return this;
    }

    /// <summary>The host's tables given as lists (the shape of the first tests).</summary>
    public ScrapeSnapshot Build(IReadOnlyList<SocketEntry> sockets, IReadOnlyList<UnixSocketEntry>? unix = null,
        IReadOnlyDictionary<uint, string>? interfaceNames = null)
    {
        Namespace host = Host.Add(sockets.ToArray()).Add((unix ?? []).ToArray());
        foreach ((uint index, string name) in interfaceNames ?? new Dictionary<uint, string>())
            host.Interface(index, name);
        return Build();
    }

    public ScrapeSnapshot Build(string? processError = null)
    {
        _ = Host;
        var namespaces = new List<NetNsSnapshot>();
        foreach (Namespace ns in _namespaces)
        {
            SocketTableStatus[] tables =
            [
                Table(ns, SocketProtocol.Tcp, SocketFamily.Ipv4), Table(ns, SocketProtocol.Tcp, SocketFamily.Ipv6),
                Table(ns, SocketProtocol.Udp, SocketFamily.Ipv4), Table(ns, SocketProtocol.Udp, SocketFamily.Ipv6),
                new(SocketProtocol.Unix, SocketFamily.Unix, ns.Source, ns.UnixSockets.Count, 0, null, ns.Source == SocketSource.None ? Unreadable : null),
            ];
            namespaces.Add(new NetNsSnapshot
            {
                Inode = ns.Inode, Label = ns.Label, IsHost = ns.IsHost,
                Method = ns.Source == SocketSource.None ? NetNsMethod.None : ns.IsHost ? NetNsMethod.Netlink : NetNsMethod.Setns,
                Sockets = ns.Sockets, UnixSockets = ns.UnixSockets, SocketTables = tables, RawSockets = ns.RawSockets,
                RawSocketsError = ns.RawSocketsError is null ? null : new ReadFailure(ns.RawSocketsError), InterfaceNames = ns.InterfaceNames, EphemeralPorts = ns.EphemeralPorts,
                ListenDrops = ns.ListenDrops,
            });
        }
        // The flat views (Sockets, UnixSockets, SocketTables) are derived by the snapshot from its namespaces.
        return new ScrapeSnapshot
        {
            Namespaces = namespaces,
            Processes = _processes, Owners = _owners, DeviceHolds = _deviceHolds, DeviceNames = _deviceNames,
            Watches = _watches, PathHolds = _pathHolds, ProcessError = processError is null ? null : new ReadFailure(processError),
        };
    }

    /// <summary>A snapshot of namespaces built by the test itself (the host's first, as the builder orders them), with the
    /// processes added so far.</summary>
    public ScrapeSnapshot FromNamespaces(params NetNsSnapshot[] namespaces) =>
        new() { Namespaces = namespaces, Processes = _processes, Owners = _owners };

    private static readonly ReadFailure Unreadable = new("unreadable");

    private static SocketTableStatus Table(Namespace ns, SocketProtocol protocol, SocketFamily family) =>
        new(protocol, family, ns.Source, ns.Sockets.Count(s => s.Protocol == protocol && s.Family == family), 0, null,
            ns.Source == SocketSource.None ? Unreadable : null);

    public static SocketEntry TcpListener(string address, ushort port, ulong inode, uint queued, uint backlog, uint boundInterface = 0)
    {
        (InetAddress ip, SocketFamily family) = Address(address);
        return new SocketEntry(SocketProtocol.Tcp, family, SocketState.Listen, ip, port, default, 0, queued, backlog, 0, inode, boundInterface);
    }

    /// <summary>A TCP or UDP socket from "127.0.0.1:8080" to "127.0.0.1:40001" (remote "*:0" for none).</summary>
    public static SocketEntry Inet(SocketProtocol protocol, SocketState state, string local, string remote, ulong inode,
        uint receiveQueue = 0, uint sendQueue = 0)
    {
        (InetAddress localIp, SocketFamily family, ushort localPort) = Endpoint(local);
        (InetAddress remoteIp, _, ushort remotePort) = remote.StartsWith("*:", StringComparison.Ordinal)
            ? (default, family, ushort.Parse(remote[2..], CultureInfo.InvariantCulture)) : Endpoint(remote);
        return new SocketEntry(protocol, family, state, localIp, localPort, remoteIp, remotePort, receiveQueue, sendQueue, 0, inode);
    }

    public static SocketEntry Tcp(SocketState state, string local, string remote, ulong inode, uint receiveQueue = 0, uint sendQueue = 0) =>
        Inet(SocketProtocol.Tcp, state, local, remote, inode, receiveQueue, sendQueue);

    /// <summary>An unconnected UDP socket bound to <paramref name="local"/>.</summary>
    public static SocketEntry UdpBound(string local, ulong inode) => Inet(SocketProtocol.Udp, SocketState.Close, local, "*:0", inode);

    public static UnixSocketEntry UnixListener(string path, ulong inode, uint queued = 0, uint backlog = 0, bool queuesKnown = true) =>
        new(UnixSocketType.Stream, SocketState.Listen, inode, path, 0, queued, backlog, queuesKnown);

    /// <summary>A connected unix stream socket; <paramref name="path"/> is set on the accepted (server) side only.</summary>
    public static UnixSocketEntry UnixConnected(ulong inode, ulong peer, string? path = null, UnixSocketType type = UnixSocketType.Stream) =>
        new(type, SocketState.Established, inode, path, peer, 0, 0, true);

    private static (InetAddress, SocketFamily, ushort) Endpoint(string endpoint)
    {
        int colon = endpoint.LastIndexOf(':');
        (InetAddress ip, SocketFamily family) = Address(endpoint[..colon].Trim('[', ']'));
        return (ip, family, ushort.Parse(endpoint[(colon + 1)..], CultureInfo.InvariantCulture));
    }

    private static (InetAddress, SocketFamily) Address(string address)
    {
        IPAddress ip = IPAddress.Parse(address);
        Span<byte> bytes = stackalloc byte[16];
        bytes.Clear();
        ip.TryWriteBytes(bytes, out _);
        return (InetAddress.FromBytes(bytes),
            ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? SocketFamily.Ipv4 : SocketFamily.Ipv6);
    }

    public static MetricSet Run(ISnapshotCollector collector, ScrapeSnapshot snapshot, SeriesBudget? budget = null, params string[] droppedLabels) =>
        Run(writer => collector.Update(snapshot, writer), budget, droppedLabels);

    /// <summary>One collection as the exporter makes it from its options (limits, dropped labels, filters).</summary>
    public static MetricSet Run(ISnapshotCollector collector, ScrapeSnapshot snapshot, MetricOptions options, SeriesBudget? budget = null) =>
        Run(writer => collector.Update(snapshot, writer), budget ?? new SeriesBudget(options.MaxSeries, options.MaxUnixSeries),
            options.DroppedLabels.ToArray(), options.Filter);

    public static MetricSet Run(Action<MetricWriter> write, SeriesBudget? budget = null, params string[] droppedLabels) =>
        Run(write, budget, droppedLabels, null);

    private static MetricSet Run(Action<MetricWriter> write, SeriesBudget? budget, string[] droppedLabels, SeriesFilter? filter) =>
        Export(factory => write(new MetricWriter(factory, budget ?? new SeriesBudget(10_000), droppedLabels.ToHashSet(), filter)));

    /// <summary>What <paramref name="write"/> puts into a fresh registry, read back as text.</summary>
    public static MetricSet Export(Action<IMetricFactory> write)
    {
        CollectorRegistry registry = Metrics.NewCustomRegistry();
        write(Metrics.WithCustomRegistry(registry));
        using var text = new MemoryStream();
        registry.CollectAndExportAsTextAsync(text).GetAwaiter().GetResult();
        return MetricSet.Parse(Encoding.UTF8.GetString(text.ToArray()));
    }

    /// <summary>Every series of one metric as `{label="value",…} value`, labels in the order written, sorted: for
    /// asserting the exact label sets and values a collector exported.</summary>
    public static string[] Series(MetricSet metrics, string name) =>
        metrics.Named(name)
            .Select(s => "{" + string.Join(",", s.Labels.Select(l => $"{l.Key}=\"{l.Value}\"")) + "} " +
                (double.IsPositiveInfinity(s.Value) ? "+Inf" : s.Value.ToString(CultureInfo.InvariantCulture)))
            .Order(StringComparer.Ordinal).ToArray();

    /// <summary>Expected series, sorted like <see cref="Series"/>.</summary>
    public static string[] Expected(params string[] series) => series.Order(StringComparer.Ordinal).ToArray();
}

using System.Text;
using Prometheus;
using SocketExporter.Collectors;
using SocketExporter.Linux.Snapshot;
using SocketExporter.Tests.Infrastructure;

namespace SocketExporter.Tests.Collectors;

/// <summary>Hand-built snapshots for collector tests, and a run of one collector into a fresh registry read back as text.</summary>
internal sealed class SnapshotBuilding
{
    private readonly List<ProcessEntry> _processes = [];
    private readonly SocketOwnerIndex _owners = new();

    /// <summary>Adds a process holding <paramref name="socketInodes"/> (one socket descriptor each); returns its index.</summary>
    public int Process(int pid, string program, long? fdLimit = null, params ulong[] socketInodes) =>
        Process(pid, program, 0, fdLimit, socketInodes);

    public int Process(int pid, string program, uint uid, long? fdLimit, params ulong[] socketInodes)
    {
        var p = new ProcessEntry(new ProcessIdentity(pid, pid.ToString(), program, uid, uid.ToString(), (ulong)pid)) { FdLimit = fdLimit };
        p.Fds.Increment(FdKind.File);   // stdin: every process the tests build has at least one descriptor
        _processes.Add(p);
        foreach (ulong inode in socketInodes)
        {
            p.Fds.Increment(FdKind.Socket);
            _owners.Add(inode, _processes.Count - 1);
        }
        return _processes.Count - 1;
    }

    /// <summary>A snapshot of the host's namespace alone, holding these sockets.</summary>
    public ScrapeSnapshot Build(IReadOnlyList<SocketEntry> sockets, IReadOnlyList<UnixSocketEntry>? unix = null,
        IReadOnlyDictionary<uint, string>? interfaceNames = null) =>
        Build([Namespace(1, "host", sockets, unix, interfaceNames)]);

    /// <summary>A namespace read whole with sock_diag; "host" is the host's.</summary>
    public static NetNsSnapshot Namespace(ulong inode, string label, IReadOnlyList<SocketEntry> sockets,
        IReadOnlyList<UnixSocketEntry>? unix = null, IReadOnlyDictionary<uint, string>? interfaceNames = null)
    {
        SocketTableStatus[] tables =
        [
            new(SocketProtocol.Tcp, SocketFamily.Ipv4, SocketSource.Netlink, sockets.Count, 0, null, null),
            new(SocketProtocol.Tcp, SocketFamily.Ipv6, SocketSource.Netlink, 0, 0, null, null),
            new(SocketProtocol.Unix, SocketFamily.Unix, SocketSource.Netlink, unix?.Count ?? 0, 0, null, null),
        ];
        return new NetNsSnapshot
        {
            Inode = inode, Label = label, IsHost = label == "host", Method = NetNsMethod.Netlink,
            Sockets = sockets, UnixSockets = unix ?? [], SocketTables = tables,
            InterfaceNames = interfaceNames ?? new Dictionary<uint, string>(),
        };
    }

    /// <summary>A snapshot of these namespaces (the host's first, as the builder orders them) and the processes added so far.</summary>
    public ScrapeSnapshot Build(IReadOnlyList<NetNsSnapshot> namespaces) =>
        new() { Namespaces = namespaces, Processes = _processes, Owners = _owners };

    public static SocketEntry TcpListener(string address, ushort port, ulong inode, uint queued, uint backlog, uint boundInterface = 0)
    {
        System.Net.IPAddress ip = System.Net.IPAddress.Parse(address);
        Span<byte> bytes = stackalloc byte[16];
        bytes.Clear();
        ip.TryWriteBytes(bytes, out _);
        SocketFamily family = ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? SocketFamily.Ipv4 : SocketFamily.Ipv6;
        return new SocketEntry(SocketProtocol.Tcp, family, SocketState.Listen, InetAddress.FromBytes(bytes), port,
            default, 0, queued, backlog, 0, inode, boundInterface);
    }

    public static MetricSet Run(ISnapshotCollector collector, ScrapeSnapshot snapshot, SeriesBudget? budget = null, params string[] droppedLabels) =>
        Run(writer => collector.Update(snapshot, writer), budget, droppedLabels);

    public static MetricSet Run(Action<MetricWriter> write, SeriesBudget? budget = null, params string[] droppedLabels) =>
        Export(factory => write(new MetricWriter(factory, budget ?? new SeriesBudget(10_000), droppedLabels.ToHashSet())));

    /// <summary>What <paramref name="write"/> puts into a fresh registry, read back as text.</summary>
    public static MetricSet Export(Action<IMetricFactory> write)
    {
        CollectorRegistry registry = Metrics.NewCustomRegistry();
        write(Metrics.WithCustomRegistry(registry));
        using var text = new MemoryStream();
        registry.CollectAndExportAsTextAsync(text).GetAwaiter().GetResult();
        return MetricSet.Parse(Encoding.UTF8.GetString(text.ToArray()));
    }
}

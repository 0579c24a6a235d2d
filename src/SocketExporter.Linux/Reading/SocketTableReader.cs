using SocketExporter.Linux.Events;
using SocketExporter.Linux.Interop;
using SocketExporter.Linux.Netlink;
using SocketExporter.Linux.ProcFs;
using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Linux.Reading;

/// <summary>
/// Reads the TCP, UDP (IPv4 and IPv6) and unix tables of one network namespace: through the given sock_diag
/// client first; a table whose dump fails (no client, a kernel without udp_diag, a malformed reply) is read from
/// that namespace's /proc/net directory instead, and the status says which source served it and why.
/// Owns its file buffer: it runs on the socket thread while the process walk reads other files.
/// </summary>
public sealed class SocketTableReader
{
    private static readonly (SocketProtocol Protocol, SocketFamily Family, string ProcNetFile)[] Tables =
    [
        (SocketProtocol.Tcp, SocketFamily.Ipv4, "tcp"),
        (SocketProtocol.Tcp, SocketFamily.Ipv6, "tcp6"),
        (SocketProtocol.Udp, SocketFamily.Ipv4, "udp"),
        (SocketProtocol.Udp, SocketFamily.Ipv6, "udp6"),
    ];

    private readonly ProcFileReader _files = new();

    /// <summary>A namespace that no process is in (a name under /run/netns alone) has no /proc/PID/net to read.</summary>
    public static readonly ReadFailure NoProcess = new("no process in this namespace to read /proc/[pid]/net from");

    /// <param name="client">A sock_diag socket of the namespace, or null when none could be had.</param>
    /// <param name="clientError">Why there is no client (reported with the fallback).</param>
    /// <param name="procNetDirectory">The namespace's /proc/[pid]/net, or null when no process is known in it.</param>
    /// <param name="inetFromProcNet">Read TCP/UDP from /proc/net even with a client, taking only the listeners'
    /// backlogs from a LISTEN-only dump: in a nearly empty namespace a full dump costs a walk of the host-wide
    /// socket hash tables, while the LISTEN-only dump and the text files are cheap.</param>
    /// <param name="scope">Which tables and sockets are wanted: with a local port, the kernel filters the TCP/UDP dumps
    /// (text read from /proc/net is not filtered here: the caller drops the other ports); without unix, that table is not read.</param>
    public List<SocketTableStatus> Read(SockDiagClient? client, ReadFailure? clientError, string? procNetDirectory,
        List<SocketEntry> sink, List<UnixSocketEntry> unixSink, bool inetFromProcNet = false, SocketScope? scope = null,
        List<TcpInfoEntry>? tcpInfo = null)
    {
        scope ??= SocketScope.Everything;
        var statuses = new List<SocketTableStatus>(Tables.Length + 1);
        bool tcpRead = client is not null && TryDumpTcpTogether(client, procNetDirectory, sink, inetFromProcNet, scope, tcpInfo, statuses);
        foreach ((SocketProtocol protocol, SocketFamily family, string file) in Tables)
        {
            if (tcpRead && protocol == SocketProtocol.Tcp)
                continue;
            ReadFailure? netlinkError = clientError;
            int bad = 0;
            // tcp_info comes only from sock_diag: with it wanted, TCP is dumped even where text would be cheaper.
            bool withInfo = tcpInfo is not null && protocol == SocketProtocol.Tcp && scope.LocalPort is null;
            if (inetFromProcNet && !withInfo && client is not null && procNetDirectory is not null)
            {
                int start = sink.Count;
                SocketTableStatus fromText = ReadProcNet(protocol, family, procNetDirectory, file, null, 0,
                    (text, s) => ProcNetTable.Parse(text, protocol, family, s), sink);
                if (fromText.Source == SocketSource.ProcNet)
                {
                    statuses.Add(protocol == SocketProtocol.Tcp ? AddBacklogs(client, family, sink, start, fromText) : fromText);
                    continue;
                }
            }
            if (client is not null)
            {
                DumpResult dump = withInfo ? DumpWithInfo(client, family, sink, tcpInfo!)
                    : scope.LocalPort is ushort port ? client.DumpInet(family, protocol, sink, port)
                    : client.DumpInet(family, protocol, sink);
                if (dump.Succeeded)
                {
                    statuses.Add(new(protocol, family, SocketSource.Netlink, dump.Sockets, dump.BadMessages, null, null) { TcpInfo = withInfo });
                    continue;
                }
                netlinkError = dump.Error;
                bad = dump.BadMessages;
            }
            statuses.Add(ReadProcNet(protocol, family, procNetDirectory, file, netlinkError, bad,
                (text, s) => ProcNetTable.Parse(text, protocol, family, s), sink));
        }

        if (!scope.Unix)
            return statuses;
        ReadFailure? unixError = clientError;
        int unixBad = 0;
        if (client is not null)
        {
            DumpResult dump = client.DumpUnix(unixSink);
            if (dump.Succeeded)
            {
                statuses.Add(new(SocketProtocol.Unix, SocketFamily.Unix, SocketSource.Netlink, dump.Sockets, dump.BadMessages, null, null));
                return statuses;
            }
            unixError = dump.Error;
            unixBad = dump.BadMessages;
        }
        statuses.Add(ReadProcNet(SocketProtocol.Unix, SocketFamily.Unix, procNetDirectory, "unix", unixError, unixBad,
            ProcNetUnixParser.Parse, unixSink));
        return statuses;
    }

    // Both TCP tables in one dump (SockDiagClient.DumpTcp): one walk of the kernel's hash tables instead of two. It
    // reports one status per family, as the per-family dumps do. When the kernel refuses it, nothing is added and the
    // tables are dumped per family. Not where the tables are read as text (inetFromProcNet).
    private bool TryDumpTcpTogether(SockDiagClient client, string? procNetDirectory, List<SocketEntry> sink, bool inetFromProcNet,
        SocketScope scope, List<TcpInfoEntry>? tcpInfo, List<SocketTableStatus> statuses)
    {
        bool withInfo = tcpInfo is not null && scope.LocalPort is null;
        if (inetFromProcNet && !withInfo && procNetDirectory is not null)
            return false;
        int start = sink.Count;
        DumpResult dump = withInfo ? DumpWithInfo(client, null, sink, tcpInfo!) : client.DumpTcp(sink, scope.LocalPort);
        if (!dump.Succeeded)
            return false;
        int ipv4 = 0;
        for (int i = start; i < sink.Count; i++)
            if (sink[i].Family == SocketFamily.Ipv4)
                ipv4++;
        // A malformed reply's family cannot be trusted: its count goes to the first table.
        statuses.Add(new(SocketProtocol.Tcp, SocketFamily.Ipv4, SocketSource.Netlink, ipv4, dump.BadMessages, null, null) { TcpInfo = withInfo });
        statuses.Add(new(SocketProtocol.Tcp, SocketFamily.Ipv6, SocketSource.Netlink, dump.Sockets - ipv4, 0, null, null) { TcpInfo = withInfo });
        return true;
    }

    private readonly List<InetDiagWithInfo> _withInfo = [];

    // The sockets go to the table as any dump's do; the tcp_info of connected ones (listeners have none worth keeping)
    // goes beside them by cookie. A failed dump adds nothing to either.
    // A null family: both, in one dump.
    private DumpResult DumpWithInfo(SockDiagClient client, SocketFamily? family, List<SocketEntry> sink, List<TcpInfoEntry> tcpInfo)
    {
        _withInfo.Clear();
        DumpResult dump = family is SocketFamily f ? client.DumpInetWithInfo(f, SocketProtocol.Tcp, _withInfo) : client.DumpTcpWithInfo(_withInfo);
        if (dump.Succeeded)
            foreach ((SocketEntry socket, TcpFinalInfo? info) in _withInfo)
            {
                sink.Add(socket);
                if (info is { } i && socket.State != SocketState.Listen && socket.Cookie != 0)
                    tcpInfo.Add(new TcpInfoEntry(socket.Cookie, socket.State, i));
            }
        _withInfo.Clear();
        return dump;
    }

    private readonly List<SocketEntry> _listeners = [];
    private readonly Dictionary<ulong, (uint Backlog, uint Interface)> _backlogs = [];

    // A LISTEN-only dump walks only the listening hash: cheap. Its backlogs and bound devices fill in what /proc/net
    // lacks (without the device, listeners on one address:port bound to different devices would look the same).
    private SocketTableStatus AddBacklogs(SockDiagClient client, SocketFamily family, List<SocketEntry> sink, int start, SocketTableStatus status)
    {
        _listeners.Clear();
        DumpResult dump = client.DumpInet(family, SocketProtocol.Tcp, _listeners, states: 1u << (int)SocketState.Listen);
        if (!dump.Succeeded)
            return status with { NetlinkError = dump.Error };
        _backlogs.Clear();
        foreach (SocketEntry l in _listeners)
            _backlogs[l.Inode] = (l.SendQueue, l.BoundInterface);
        for (int i = start; i < sink.Count; i++)
            if (sink[i].State == SocketState.Listen && _backlogs.TryGetValue(sink[i].Inode, out var fromDump))
                sink[i] = sink[i] with { SendQueue = fromDump.Backlog, BoundInterface = fromDump.Interface };
        return status with { BacklogKnown = true };
    }

    private delegate ProcNetTableResult TableParser<T>(ReadOnlySpan<byte> text, List<T> sink);

    private SocketTableStatus ReadProcNet<T>(SocketProtocol protocol, SocketFamily family, string? directory, string file,
        ReadFailure? netlinkError, int netlinkBad, TableParser<T> parse, List<T> sink)
    {
        if (directory is null)
            return new(protocol, family, SocketSource.None, 0, netlinkBad, netlinkError, NoProcess);
        string path = Path.Combine(directory, file);
        int errno = _files.TryRead(null, path, out ReadOnlySpan<byte> text, ProcFileReader.TableLimit);
        if (errno != 0)
            return new(protocol, family, SocketSource.None, 0, netlinkBad, netlinkError, new ReadFailure(path, errno));
        ProcNetTableResult result = parse(text, sink);
        return new(protocol, family, SocketSource.ProcNet, result.Sockets, netlinkBad + result.BadLines, netlinkError, null);
    }
}

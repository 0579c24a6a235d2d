using SocketExporter.Linux.Interop;
using SocketExporter.Linux.Netlink;
using SocketExporter.Linux.ProcFs;

namespace SocketExporter.Linux.Snapshot;

/// <summary>
/// Reads the TCP and UDP tables (IPv4 and IPv6) of the calling thread's network namespace: sock_diag first;
/// a table whose dump fails (no netlink, a kernel without udp_diag, a malformed reply) is read from /proc/net
/// instead, and the status says which source served it and why.
/// </summary>
public sealed class SocketTableReader(string procfsPath, ProcFileReader fileReader)
{
    private static readonly (SocketProtocol Protocol, SocketFamily Family, string ProcNetFile)[] Tables =
    [
        (SocketProtocol.Tcp, SocketFamily.Ipv4, "net/tcp"),
        (SocketProtocol.Tcp, SocketFamily.Ipv6, "net/tcp6"),
        (SocketProtocol.Udp, SocketFamily.Ipv4, "net/udp"),
        (SocketProtocol.Udp, SocketFamily.Ipv6, "net/udp6"),
    ];

    private readonly byte[] _netlinkBuffer = new byte[64 * 1024];

    /// <summary>When true, sock_diag is not tried (for comparing the two sources, and for kernels where it misbehaves).</summary>
    public bool ProcNetOnly { get; init; }

    public List<SocketTableStatus> Read(List<SocketEntry> sink, List<UnixSocketEntry> unixSink)
    {
        var statuses = new List<SocketTableStatus>(Tables.Length);
        SockDiagClient? client = null;
        string? openError = null;
        if (ProcNetOnly)
            openError = "disabled by configuration";
        else
        {
            int errno = SockDiagClient.TryOpen(out client, _netlinkBuffer);
            if (errno != 0)
                openError = $"socket(AF_NETLINK, NETLINK_SOCK_DIAG): {Errno.Describe(errno)}";
        }

        using (client)
        {
            foreach ((SocketProtocol protocol, SocketFamily family, string file) in Tables)
            {
                string? netlinkError = openError;
                int bad = 0;
                if (client is not null)
                {
                    DumpResult dump = client.DumpInet(family, protocol, sink);
                    if (dump.Succeeded)
                    {
                        statuses.Add(new(protocol, family, SocketSource.Netlink, dump.Sockets, dump.BadMessages, null, null));
                        continue;
                    }
                    netlinkError = dump.Error;
                    bad = dump.BadMessages;
                }
                statuses.Add(ReadProcNet(protocol, family, file, sink, netlinkError, bad));
            }
            statuses.Add(ReadUnix(client, openError, unixSink));
        }
        return statuses;
    }

    private SocketTableStatus ReadUnix(SockDiagClient? client, string? openError, List<UnixSocketEntry> sink)
    {
        string? netlinkError = openError;
        int bad = 0;
        if (client is not null)
        {
            DumpResult dump = client.DumpUnix(sink);
            if (dump.Succeeded)
                return new(SocketProtocol.Unix, SocketFamily.Unix, SocketSource.Netlink, dump.Sockets, dump.BadMessages, null, null);
            netlinkError = dump.Error;
            bad = dump.BadMessages;
        }
        string path = Path.Combine(procfsPath, "net/unix");
        int errno = fileReader.TryRead(null, path, out ReadOnlySpan<byte> text);
        if (errno != 0)
            return new(SocketProtocol.Unix, SocketFamily.Unix, SocketSource.None, 0, bad, netlinkError, $"{path}: {Errno.Describe(errno)}");
        ProcNetTableResult result = ProcNetUnixParser.Parse(text, sink);
        return new(SocketProtocol.Unix, SocketFamily.Unix, SocketSource.ProcNet, result.Sockets, bad + result.BadLines, netlinkError, null);
    }

    private SocketTableStatus ReadProcNet(SocketProtocol protocol, SocketFamily family, string file, List<SocketEntry> sink,
        string? netlinkError, int netlinkBad)
    {
        string path = Path.Combine(procfsPath, file);
        int errno = fileReader.TryRead(null, path, out ReadOnlySpan<byte> text);
        if (errno != 0)
            return new(protocol, family, SocketSource.None, 0, netlinkBad, netlinkError, $"{path}: {Errno.Describe(errno)}");
        ProcNetTableResult result = ProcNetTable.Parse(text, protocol, family, sink);
        return new(protocol, family, SocketSource.ProcNet, result.Sockets, netlinkBad + result.BadLines, netlinkError, null);
    }
}

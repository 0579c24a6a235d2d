using SocketExporter.Linux.Interop;
using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Linux.Netlink;

/// <summary>Result of one table dump. <see cref="Error"/> is null when the dump completed.</summary>
public readonly record struct DumpResult(int Sockets, int BadMessages, ReadFailure? Error)
{
    public bool Succeeded => Error is null;
}

/// <summary>
/// A NETLINK_SOCK_DIAG socket (created through libc: System.Net.Sockets rejects AF_NETLINK). One instance per
/// scrape and namespace; dispose it promptly, since a netlink socket keeps its network namespace alive.
/// </summary>
public sealed partial class SockDiagClient : IDisposable
{
    // Kernel dump chunks are at most ~32 KiB; 64 KiB leaves room, and MSG_TRUNC detects anything larger.
    private const int ReceiveBufferLength = 64 * 1024;
    private static readonly TimeSpan ReceiveTimeout = TimeSpan.FromSeconds(5);

    private readonly SafeFd _fd;
    private readonly byte[] _buffer;
    private uint _sequence;

    private SockDiagClient(SafeFd fd, byte[] buffer)
    {
        _fd = fd;
        _buffer = buffer;
    }

    /// <summary>Opens a sock_diag socket in the calling thread's network namespace; returns errno on failure.</summary>
    public static int TryOpen(out SockDiagClient? client, byte[]? buffer = null)
    {
        client = null;
        int errno = Libc.Socket(Constants.AF_NETLINK, Constants.SOCK_RAW, Constants.NETLINK_SOCK_DIAG, out SafeFd fd);
        if (errno != 0)
            return errno;
        errno = Libc.SetReceiveTimeout(fd, ReceiveTimeout);
        if (errno != 0)
        {
            fd.Dispose();
            return errno;
        }
        client = new SockDiagClient(fd, buffer is { Length: >= ReceiveBufferLength } ? buffer : new byte[ReceiveBufferLength]);
        return 0;
    }

    /// <summary>Dumps every socket of one protocol and family into <paramref name="sink"/>, reading to NLMSG_DONE.</summary>
    public DumpResult DumpInet(SocketFamily family, SocketProtocol protocol, List<SocketEntry> sink, uint states = NetlinkConstants.InetDumpStates)
    {
        uint sequence = ++_sequence;
        Span<byte> request = stackalloc byte[SockDiagRequest.InetLength];
        SockDiagRequest.WriteInetDump(request, family, protocol, states, sequence);
        return Dump<SocketEntry, InetDiagDecoder>(request, protocol, sequence, sink);
    }

    /// <summary>Dumps every socket of one protocol and family with its tcp_info (INET_DIAG_INFO): about 280 more bytes per
    /// connected TCP socket for the kernel to copy out (README, "Live and closed").</summary>
    public DumpResult DumpInetWithInfo(SocketFamily family, SocketProtocol protocol, List<InetDiagWithInfo> sink)
    {
        uint sequence = ++_sequence;
        Span<byte> request = stackalloc byte[SockDiagRequest.InetLength];
        SockDiagRequest.WriteInetDump(request, family, protocol, NetlinkConstants.InetDumpStates, sequence, InetDiagAttributes.InfoExtension);
        return Dump<InetDiagWithInfo, InetDiagInfoDecoder>(request, protocol, sequence, sink);
    }

    /// <summary>Dumps only the sockets whose local port is <paramref name="localPort"/>, filtered in the kernel.</summary>
    public DumpResult DumpInet(SocketFamily family, SocketProtocol protocol, List<SocketEntry> sink, ushort localPort, uint states = NetlinkConstants.InetDumpStates)
    {
        uint sequence = ++_sequence;
        Span<byte> request = stackalloc byte[SockDiagRequest.InetLocalPortLength];
        SockDiagRequest.WriteInetDump(request, family, protocol, states, sequence, localPort);
        return Dump<SocketEntry, InetDiagDecoder>(request, protocol, sequence, sink);
    }

    /// <summary>Dumps the TCP sockets of both address families in one walk of the kernel's tables (the compat request of
    /// <see cref="SockDiagRequest.WriteTcpDump"/>), optionally only those of local port <paramref name="localPort"/>.
    /// A kernel that refuses it fails the dump; the caller then dumps each family.</summary>
    public DumpResult DumpTcp(List<SocketEntry> sink, ushort? localPort = null)
    {
        uint sequence = ++_sequence;
        Span<byte> request = stackalloc byte[SockDiagRequest.TcpLocalPortLength];
        SockDiagRequest.WriteTcpDump(request, NetlinkConstants.InetDumpStates, sequence, localPort: localPort);
        return Dump<SocketEntry, InetDiagDecoder>(request[..(localPort is null ? SockDiagRequest.TcpLength : SockDiagRequest.TcpLocalPortLength)],
            SocketProtocol.Tcp, sequence, sink);
    }

    /// <summary><see cref="DumpTcp"/> with each socket's tcp_info, as <see cref="DumpInetWithInfo"/>.</summary>
    public DumpResult DumpTcpWithInfo(List<InetDiagWithInfo> sink)
    {
        uint sequence = ++_sequence;
        Span<byte> request = stackalloc byte[SockDiagRequest.TcpLength];
        SockDiagRequest.WriteTcpDump(request, NetlinkConstants.InetDumpStates, sequence, InetDiagAttributes.InfoExtension);
        return Dump<InetDiagWithInfo, InetDiagInfoDecoder>(request, SocketProtocol.Tcp, sequence, sink);
    }

    /// <summary>Dumps every AF_UNIX socket with its name, peer and queues.</summary>
    public DumpResult DumpUnix(List<UnixSocketEntry> sink)
    {
        uint sequence = ++_sequence;
        Span<byte> request = stackalloc byte[UnixDiagRequest.Length];
        UnixDiagRequest.WriteDump(request, sequence);
        return Dump<UnixSocketEntry, UnixDiagDecoder>(request, SocketProtocol.Unix, sequence, sink);
    }

    private DumpResult Dump<T, TDecoder>(ReadOnlySpan<byte> request, SocketProtocol protocol, uint sequence, List<T> sink)
        where TDecoder : IDiagDecoder<T>
    {
        int before = sink.Count;
        int errno = Libc.Send(_fd, request);
        if (errno != 0)
            return new(0, 0, new ReadFailure("send", errno));

        int bad = 0;
        while (true)
        {
            errno = Libc.Recv(_fd, _buffer, out int length);
            if (errno != 0)
                return Fail(sink, before, bad, new ReadFailure("recv", errno));
            if (length == 0)
                return Fail(sink, before, bad, new ReadFailure("recv", Detail: "the socket closed before NLMSG_DONE"));
            if (length > _buffer.Length)
                return Fail(sink, before, bad, new ReadFailure("recv", Detail: $"a {length}-byte reply did not fit the buffer"));

            DumpChunkResult chunk = SockDiagDumpParser.ParseChunk<T, TDecoder>(_buffer.AsSpan(0, length), protocol, sequence, sink);
            bad += chunk.BadMessages;
            switch (chunk.Progress)
            {
                case DumpProgress.Done:
                    return new(sink.Count - before, bad, null);
                case DumpProgress.KernelError:
                    return Fail(sink, before, bad, new ReadFailure(chunk.Detail ?? "sock_diag", chunk.Errno));
                case DumpProgress.Malformed:
                    return Fail(sink, before, bad, new ReadFailure(chunk.Detail ?? "malformed reply"));
            }
        }
    }

    // A failed dump is never half-used: the caller falls back to /proc/net for the whole table.
    private static DumpResult Fail<T>(List<T> sink, int before, int bad, ReadFailure error)
    {
        sink.RemoveRange(before, sink.Count - before);
        return new(0, bad, error);
    }

    public void Dispose() => _fd.Dispose();
}

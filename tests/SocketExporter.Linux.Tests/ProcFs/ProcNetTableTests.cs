using SocketExporter.Linux.Netlink;
using SocketExporter.Linux.ProcFs;
using SocketExporter.Linux.Snapshot;
using SocketExporter.Linux.Tests.Infrastructure;

namespace SocketExporter.Linux.Tests.ProcFs;

[Trait("Category", "Unit")]
public sealed class ProcNetTableTests
{
    // /proc/net/* were copied at the same moment as these captures, in the same namespace: same sockets.
    [Theory]
    [InlineData("tcp", "tcp4-listen-and-established", SocketProtocol.Tcp, SocketFamily.Ipv4, 9)]
    [InlineData("tcp6", "tcp6-listen-v6only", SocketProtocol.Tcp, SocketFamily.Ipv6, 6)]
    [InlineData("udp", "udp4-bound-and-connected", SocketProtocol.Udp, SocketFamily.Ipv4, 2)]
    [InlineData("udp6", "udp6-bound", SocketProtocol.Udp, SocketFamily.Ipv6, 1)]
    public void Parse_ProcNetFile_MatchesTheNetlinkCaptureOfTheSameSockets(string file, string capture,
        SocketProtocol protocol, SocketFamily family, int rows)
    {
        var fromProc = new List<SocketEntry>();
        ProcNetTableResult result = ProcNetTable.Parse(Fixture.ReadBytes($"proc/net/{file}"), protocol, family, fromProc);
        var fromNetlink = new List<SocketEntry>();
        Assert.Equal(DumpProgress.Done,
            SockDiagDumpParser.ParseChunk(Fixture.ReadBytes($"netlink/{capture}.bin"), protocol, null, fromNetlink).Progress);

        Assert.Equal((rows, 0, (ParseError?)null), (result.Sockets, result.BadLines, result.FirstError));
        Assert.Equal(rows, fromProc.Count);
        Assert.Equal(rows, fromNetlink.Count);
        // Everything but the send queue (a listener's backlog is only in sock_diag); same dump order too.
        Assert.Equal(fromNetlink.Select(Comparable), fromProc.Select(Comparable));
        Assert.All(fromProc, s => Assert.Equal((protocol, family), (s.Protocol, s.Family)));
    }

    [Fact]
    public void Parse_Tcp_ListenerHasAcceptQueueButNoBacklog()
    {
        var sink = new List<SocketEntry>();
        ProcNetTable.Parse(Fixture.ReadBytes("proc/net/tcp"), SocketProtocol.Tcp, SocketFamily.Ipv4, sink);

        Assert.Equal(9, sink.Count);
        SocketEntry listener = sink[0];
        Assert.Equal((SocketState.Listen, (ushort)8080, 616857ul), (listener.State, listener.LocalPort, listener.Inode));
        Assert.Equal((3u, 0u), (listener.ReceiveQueue, listener.SendQueue));   // sock_diag says 3 / 5
        Assert.Equal("127.0.0.1", listener.LocalAddress.Format(SocketFamily.Ipv4));
        Assert.Equal([616857ul, 0, 0, 616858, 616860, 616861, 616862, 616859, 0], sink.Select(s => s.Inode));
        Assert.Equal([3u, 7, 0, 5, 0, 0, 0, 11, 0], sink.Select(s => s.ReceiveQueue));
    }

    [Fact]
    public void Parse_Tcp6_DecodesLoopbackAnyAndV4MappedAddresses()
    {
        var sink = new List<SocketEntry>();
        ProcNetTable.Parse(Fixture.ReadBytes("proc/net/tcp6"), SocketProtocol.Tcp, SocketFamily.Ipv6, sink);

        Assert.Equal(6, sink.Count);
        Assert.Equal(["::1", "::", "::ffff:127.0.0.1", "::1", "::1", "::ffff:127.0.0.1"],
            sink.Select(s => s.LocalAddress.Format(SocketFamily.Ipv6)));
        Assert.Equal([(ushort)8443, 9090, 40012, 40011, 8443, 9090], sink.Select(s => s.LocalPort));
    }

    [Fact]
    public void Parse_Udp_UnconnectedIsState7WithQueuedMemory()
    {
        var sink = new List<SocketEntry>();
        ProcNetTable.Parse(Fixture.ReadBytes("proc/net/udp"), SocketProtocol.Udp, SocketFamily.Ipv4, sink);

        Assert.Equal(2, sink.Count);
        Assert.Equal((SocketState.Close, (ushort)5353, 832u, 616869ul), (sink[0].State, sink[0].LocalPort, sink[0].ReceiveQueue, sink[0].Inode));
        Assert.Equal((SocketState.Established, (ushort)5354, (ushort)5353), (sink[1].State, sink[1].LocalPort, sink[1].RemotePort));
    }

    [Fact]
    public void Parse_TcpMalformed_CountsGood2Bad4AndReportsLine3First()
    {
        var sink = new List<SocketEntry>();

        ProcNetTableResult result = ProcNetTable.Parse(Fixture.ReadBytes("proc/net/tcp-malformed"), SocketProtocol.Tcp, SocketFamily.Ipv4, sink);

        Assert.Equal((2, 4), (result.Sockets, result.BadLines));   // lines 3, 4, 6, 8 bad; blank line 5 ignored
        ParseError first = Assert.NotNull(result.FirstError);
        Assert.Equal(3, first.Line);
        Assert.Equal(5, first.Field);   // "   1: 0100007F:9C41 0100007F:1F90 01" ends before tx_queue:rx_queue
        Assert.Equal(2, sink.Count);
        Assert.Equal((SocketState.Listen, (ushort)8080, (ushort)0, 0u, 3u, 0u, 616857ul),
            (sink[0].State, sink[0].LocalPort, sink[0].RemotePort, sink[0].SendQueue, sink[0].ReceiveQueue, sink[0].Uid, sink[0].Inode));
        Assert.Equal((SocketState.Established, (ushort)40001, (ushort)8080, 0u, 5u, 0u, 616858ul),
            (sink[1].State, sink[1].LocalPort, sink[1].RemotePort, sink[1].SendQueue, sink[1].ReceiveQueue, sink[1].Uid, sink[1].Inode));
        Assert.Equal("127.0.0.1", sink[1].RemoteAddress.Format(SocketFamily.Ipv4));
    }

    [Fact]
    public void Parse_HeaderOnly_NoSocketsNoBadLines()
    {
        var sink = new List<SocketEntry>();

        ProcNetTableResult result = ProcNetTable.Parse(
            "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"u8,
            SocketProtocol.Tcp, SocketFamily.Ipv4, sink);

        Assert.Equal((0, 0, (ParseError?)null), (result.Sockets, result.BadLines, result.FirstError));
        Assert.Empty(sink);
    }

    [Fact]
    public void Parse_EmptyText_NoSocketsNoBadLines()
    {
        ProcNetTableResult result = ProcNetTable.Parse([], SocketProtocol.Tcp, SocketFamily.Ipv4, []);

        Assert.Equal((0, 0), (result.Sockets, result.BadLines));
    }

    [Fact]
    public void Parse_V4FileReadAsV6_EveryRowBadNoThrow()
    {
        var sink = new List<SocketEntry>();

        ProcNetTableResult result = ProcNetTable.Parse(Fixture.ReadBytes("proc/net/tcp"), SocketProtocol.Tcp, SocketFamily.Ipv6, sink);

        Assert.Equal((0, 9), (result.Sockets, result.BadLines));
        Assert.Equal((2, 2), (result.FirstError!.Value.Line, result.FirstError.Value.Field));
        Assert.Empty(sink);
    }

    private static (SocketState, InetAddress, ushort, InetAddress, ushort, uint, uint, ulong) Comparable(SocketEntry s) =>
        (s.State, s.LocalAddress, s.LocalPort, s.RemoteAddress, s.RemotePort, s.ReceiveQueue, s.Uid, s.Inode);
}

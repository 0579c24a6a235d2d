using System.Buffers.Binary;
using SocketExporter.Linux.Events;
using SocketExporter.Linux.Netlink;
using SocketExporter.Linux.Snapshot;
using SocketExporter.Linux.Tests.Infrastructure;

namespace SocketExporter.Linux.Tests.Events;

/// <summary>Destroy events captured by tools/capture-destroy-events.py (netlink/destroy/*.txt say how), and hand-made
/// malformed ones.</summary>
public sealed class TcpDestroyEventDecoderTests
{
    private static List<TcpDestroyEvent> DecodeAll(string fixture)
    {
        byte[] bytes = Fixture.ReadBytes($"netlink/destroy/{fixture}.bin");
        var events = new List<TcpDestroyEvent>();
        var reader = new NetlinkMessageReader(bytes);
        while (reader.TryRead(out ushort type, out _, out _, out ReadOnlySpan<byte> payload) == NetlinkReadResult.Message)
        {
            Assert.Equal(NetlinkConstants.SOCK_DIAG_BY_FAMILY, type);
            Assert.True(TcpDestroyEventDecoder.TryDecode(payload, out TcpDestroyEvent ev, out DestroyEventError error), error.ToString());
            events.Add(ev);
        }
        return events;
    }

    [Theory]
    [InlineData("payload4", SocketFamily.Ipv4)]
    [InlineData("payload6", SocketFamily.Ipv6)]
    public void TryDecode_OrderlyConnection_ListenerIgnoredAndPayloadExactBothWays(string fixture, SocketFamily family)
    {
        List<TcpDestroyEvent> events = DecodeAll(fixture);
        Assert.Equal(3, events.Count);   // the listener, then the server's accepted socket, then the client's
        (TcpDestroyEvent listener, TcpDestroyEvent server, TcpDestroyEvent client) = (events[0], events[1], events[2]);

        Assert.Equal(TcpDestroyKind.NotConnected, listener.Kind);
        Assert.Equal((TcpDestroyKind.Closed, TcpDestroyKind.Closed), (server.Kind, client.Kind));
        Assert.All(events, e => Assert.Equal(family, e.Family));
        Assert.Equal((server.LocalPort, server.RemotePort), (client.RemotePort, client.LocalPort));
        Assert.Equal(listener.LocalPort, server.LocalPort);
        Assert.Equal(280, client.Info.Length);
        // 100,000 bytes client to server, 500 back: bytes_received counted each side's FIN on top (100,001 and 501).
        Assert.Equal((100_000UL, 500UL), (client.Info.PayloadBytesSent, client.Info.PayloadBytesReceived));
        Assert.Equal((500UL, 100_000UL), (server.Info.PayloadBytesSent, server.Info.PayloadBytesReceived));
        Assert.Equal((100_001UL, 501UL), (server.Info.BytesReceived, client.Info.BytesReceived));
        Assert.True(client.Info.RttMicroseconds > 0 && server.Info.RttMicroseconds > 0);
        Assert.Equal(0u, client.Info.TotalRetransmits);
        Assert.NotEqual(client.Cookie, server.Cookie);
        Assert.NotEqual(0UL, client.Cookie);
    }

    [Fact]
    public void TryDecode_NonBlockingRefusedConnect_FailureWithItsPort()
    {
        List<TcpDestroyEvent> events = DecodeAll("nbrefused4");
        Assert.Equal(2, events.Count);   // a bound-only socket (not a connection), then the refused connect
        Assert.Equal(TcpDestroyKind.NotConnected, events[0].Kind);
        Assert.Equal(TcpDestroyKind.ConnectFailed, events[1].Kind);
        Assert.Equal(events[0].LocalPort, events[1].RemotePort);
        Assert.Equal(0u, events[1].Info.Delivered);
    }

    [Fact]
    public void TryDecode_BlockingRefusedConnect_FailureWhosePortTheKernelErased()
    {
        List<TcpDestroyEvent> events = DecodeAll("refused4");
        Assert.Equal(2, events.Count);
        TcpDestroyEvent failed = events[1];
        // tcp_disconnect() zeroed dport (and saddr) but kept daddr.
        Assert.Equal((TcpDestroyKind.ConnectFailed, (ushort)0), (failed.Kind, failed.RemotePort));
        Assert.Equal("127.0.0.1", failed.RemoteAddress.Format(SocketFamily.Ipv4));
    }

    [Fact]
    public void TryDecode_TimedOutConnect_FailureWithRetransmittedSyns()
    {
        TcpDestroyEvent failed = Assert.Single(DecodeAll("nbtimeout4"));
        Assert.Equal((TcpDestroyKind.ConnectFailed, (ushort)9), (failed.Kind, failed.RemotePort));
        Assert.Equal(2u, failed.Info.TotalRetransmits);   // tcp_syn_retries=1: the SYN, one retry, then the timeout's
    }

    [Fact]
    public void TryDecode_ClosedListener_NotAConnection()
    {
        TcpDestroyEvent listener = Assert.Single(DecodeAll("listener4"));
        Assert.Equal((TcpDestroyKind.NotConnected, (ushort)0), (listener.Kind, listener.RemotePort));
    }

    /// <summary>The server's event of payload4, to alter.</summary>
    private static byte[] ServerPayload() => Fixture.ReadBytes("netlink/destroy/payload4.bin").AsSpan(380 + 16, 380 - 16).ToArray();

    [Theory]
    [InlineData(0, DestroyEventError.ShortMessage)]
    [InlineData(71, DestroyEventError.ShortMessage)]
    public void TryDecode_ShorterThanInetDiagMsg_Rejected(int length, DestroyEventError expected)
    {
        Assert.False(TcpDestroyEventDecoder.TryDecode(ServerPayload().AsSpan(0, length), out _, out DestroyEventError error));
        Assert.Equal(expected, error);
    }

    [Fact]
    public void TryDecode_UnknownFamily_Rejected()
    {
        byte[] p = ServerPayload();
        p[0] = 1;   // AF_UNIX
        Assert.False(TcpDestroyEventDecoder.TryDecode(p, out _, out DestroyEventError error));
        Assert.Equal(DestroyEventError.UnknownFamily, error);
    }

    [Fact]
    public void TryDecode_AttributeLongerThanMessage_Rejected()
    {
        byte[] p = ServerPayload();
        BinaryPrimitives.WriteUInt16LittleEndian(p.AsSpan(72), (ushort)(p.Length - 72 + 4));   // the first rtattr runs past the end
        Assert.False(TcpDestroyEventDecoder.TryDecode(p, out _, out DestroyEventError error));
        Assert.Equal(DestroyEventError.BadAttribute, error);
    }

    [Fact]
    public void TryDecode_AttributeShorterThanItsHeader_Rejected()
    {
        byte[] p = ServerPayload();
        BinaryPrimitives.WriteUInt16LittleEndian(p.AsSpan(72), 2);
        Assert.False(TcpDestroyEventDecoder.TryDecode(p, out _, out DestroyEventError error));
        Assert.Equal(DestroyEventError.BadAttribute, error);
    }

    [Fact]
    public void TryDecode_NoAttributes_NoTcpInfo()
    {
        Assert.False(TcpDestroyEventDecoder.TryDecode(ServerPayload().AsSpan(0, 72), out _, out DestroyEventError error));
        Assert.Equal(DestroyEventError.NoTcpInfo, error);
    }

    [Fact]
    public void TryDecode_ProtocolAttributeNotTcp_Rejected()
    {
        byte[] p = Message(info: new byte[280], protocol: 17);
        Assert.False(TcpDestroyEventDecoder.TryDecode(p, out _, out DestroyEventError error));
        Assert.Equal(DestroyEventError.NotTcp, error);
    }

    [Fact]
    public void TryDecode_OldKernelTcpInfo_FieldsPastItsEndAreAbsentNotZero()
    {
        // A 4.15-sized tcp_info (192 bytes): bytes_received and data_segs_in present; delivered and bytes_sent not.
        byte[] info = new byte[192];
        BinaryPrimitives.WriteUInt32LittleEndian(info.AsSpan(68), 40);        // rtt
        BinaryPrimitives.WriteUInt64LittleEndian(info.AsSpan(120), 1_002);    // bytes_acked: SYN + 1000 + FIN
        BinaryPrimitives.WriteUInt64LittleEndian(info.AsSpan(128), 301);      // bytes_received: 300 + FIN
        BinaryPrimitives.WriteUInt32LittleEndian(info.AsSpan(152), 1);        // data_segs_in
        Assert.True(TcpDestroyEventDecoder.TryDecode(Message(info), out TcpDestroyEvent ev, out _));

        Assert.False(ev.Info.HasDelivered);
        Assert.Equal(TcpDestroyKind.Closed, ev.Kind);   // from bytes_acked, without delivered
        Assert.Null(ev.Info.PayloadBytesSent);
        Assert.Equal(300UL, ev.Info.PayloadBytesReceived);
    }

    [Fact]
    public void TryDecode_TruncatedTcpInfo_NothingReadPastIt()
    {
        Assert.True(TcpDestroyEventDecoder.TryDecode(Message(new byte[10]), out TcpDestroyEvent ev, out _));
        Assert.Equal((10, false, false), (ev.Info.Length, ev.Info.HasRtt, ev.Info.HasBytesReceived));
        Assert.Null(ev.Info.PayloadBytesReceived);
    }

    [Fact]
    public void PayloadBytesReceived_RetransmittedBytesCountedOnce()
    {
        var info = new TcpFinalInfo(280, 10, 3, 0, 0, 0, 5, BytesSent: 5_000, BytesRetransmitted: 1_200);
        Assert.Equal(3_800UL, info.PayloadBytesSent);
    }

    /// <summary>An inet_diag_msg for 127.0.0.1:80 → 127.0.0.1:40000 with an INET_DIAG_INFO attribute (and INET_DIAG_PROTOCOL).</summary>
    private static byte[] Message(byte[] info, byte protocol = 6)
    {
        byte[] head = NetlinkBytes.InetDiagMsg(2, 7, 80, 40000, 0, local: [127, 0, 0, 1], remote: [127, 0, 0, 1]);
        int infoAttr = (4 + info.Length + 3) & ~3;
        byte[] p = new byte[head.Length + 8 + infoAttr];
        head.CopyTo(p, 0);
        BinaryPrimitives.WriteUInt16LittleEndian(p.AsSpan(72), 5);
        BinaryPrimitives.WriteUInt16LittleEndian(p.AsSpan(74), 10);   // INET_DIAG_PROTOCOL
        p[76] = protocol;
        BinaryPrimitives.WriteUInt16LittleEndian(p.AsSpan(80), (ushort)(4 + info.Length));
        BinaryPrimitives.WriteUInt16LittleEndian(p.AsSpan(82), 2);    // INET_DIAG_INFO
        info.CopyTo(p, 84);
        return p;
    }
}

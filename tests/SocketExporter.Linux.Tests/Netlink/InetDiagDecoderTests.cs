using SocketExporter.Linux.Netlink;
using SocketExporter.Linux.Snapshot;
using SocketExporter.Linux.Tests.Infrastructure;

namespace SocketExporter.Linux.Tests.Netlink;

[Trait("Category", "Unit")]
public sealed class InetDiagDecoderTests
{
    [Fact]
    public void TryDecode_CapturedListenerPayload_DecodesEveryField()
    {
        // Message 0 of the capture: 16-byte header, then 108 bytes (72 of inet_diag_msg + attributes).
        ReadOnlySpan<byte> payload = Fixture.ReadBytes("netlink/tcp4-listen-and-established.bin").AsSpan(16, 108);

        Assert.True(InetDiagDecoder.TryDecode(payload, SocketProtocol.Tcp, out SocketEntry e));
        Assert.Equal((SocketProtocol.Tcp, SocketFamily.Ipv4, SocketState.Listen), (e.Protocol, e.Family, e.State));
        Assert.Equal(("127.0.0.1", (ushort)8080, "0.0.0.0", (ushort)0),
            (e.LocalAddress.Format(SocketFamily.Ipv4), e.LocalPort, e.RemoteAddress.Format(SocketFamily.Ipv4), e.RemotePort));
        Assert.Equal((3u, 5u, 0u, 616857ul), (e.ReceiveQueue, e.SendQueue, e.Uid, e.Inode));
    }

    [Fact]
    public void TryDecode_Exactly72Bytes_Decodes()
    {
        byte[] p = NetlinkBytes.InetDiagMsg(2, 1, 0x1F90, 0x9C41, 616859, rqueue: 11, wqueue: 2, uid: 1000,
            local: [10, 0, 0, 1], remote: [192, 168, 1, 20]);
        Assert.Equal(72, p.Length);

        Assert.True(InetDiagDecoder.TryDecode(p, SocketProtocol.Udp, out SocketEntry e));
        Assert.Equal((SocketProtocol.Udp, SocketState.Established, (ushort)8080, (ushort)40001), (e.Protocol, e.State, e.LocalPort, e.RemotePort));
        Assert.Equal(("10.0.0.1", "192.168.1.20"), (e.LocalAddress.Format(SocketFamily.Ipv4), e.RemoteAddress.Format(SocketFamily.Ipv4)));
        Assert.Equal((11u, 2u, 1000u, 616859ul), (e.ReceiveQueue, e.SendQueue, e.Uid, e.Inode));
    }

    [Fact]
    public void TryDecode_BoundDevice_KeepsIdiagIf()
    {
        byte[] p = NetlinkBytes.InetDiagMsg(2, 10, 29581, 0, 42, wqueue: 7);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(p.AsSpan(40), 3);   // idiag_if: sk_bound_dev_if, host order

        Assert.True(InetDiagDecoder.TryDecode(p, SocketProtocol.Tcp, out SocketEntry e));
        Assert.Equal((3u, (ushort)29581, 7u), (e.BoundInterface, e.LocalPort, e.SendQueue));
        Assert.True(InetDiagDecoder.TryDecode(NetlinkBytes.InetDiagMsg(2, 10, 29581, 0, 43), SocketProtocol.Tcp, out SocketEntry unbound));
        Assert.Equal(0u, unbound.BoundInterface);
    }

    [Fact]
    public void TryDecode_PortsAreBigEndianOnTheWire()
    {
        byte[] p = NetlinkBytes.InetDiagMsg(2, 10, 0, 0, 1);
        p[4] = 0x01; p[5] = 0x02;   // sport 0x0102 = 258
        p[6] = 0xFF; p[7] = 0x00;   // dport 0xFF00 = 65280

        Assert.True(InetDiagDecoder.TryDecode(p, SocketProtocol.Tcp, out SocketEntry e));
        Assert.Equal(((ushort)258, (ushort)65280), (e.LocalPort, e.RemotePort));
    }

    [Fact]
    public void TryDecode_Ipv6Addresses_UseAll16Bytes()
    {
        byte[] local = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
        byte[] p = NetlinkBytes.InetDiagMsg(10, 10, 443, 0, 42, local: local);

        Assert.True(InetDiagDecoder.TryDecode(p, SocketProtocol.Tcp, out SocketEntry e));
        Assert.Equal(SocketFamily.Ipv6, e.Family);
        Assert.Equal("2001:db8::1", e.LocalAddress.Format(SocketFamily.Ipv6));
        Assert.Equal("::", e.RemoteAddress.Format(SocketFamily.Ipv6));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(40)]   // the header + 40 bytes of tcp4-short-payload
    [InlineData(71)]
    public void TryDecode_ShortPayload_ReturnsFalse(int length)
    {
        byte[] p = NetlinkBytes.InetDiagMsg(2, 10, 8080, 0, 1).AsSpan(0, length).ToArray();

        Assert.False(InetDiagDecoder.TryDecode(p, SocketProtocol.Tcp, out SocketEntry e));
        Assert.Equal(default, e);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]    // AF_UNIX: unix_diag_msg is a different struct
    [InlineData(3)]
    [InlineData(44)]   // AF_XDP
    [InlineData(255)]
    public void TryDecode_UnknownFamily_ReturnsFalse(byte family)
    {
        Assert.False(InetDiagDecoder.TryDecode(NetlinkBytes.InetDiagMsg(family, 10, 8080, 0, 1), SocketProtocol.Tcp, out _));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(13)]   // TCP_BOUND_INACTIVE exists since 6.6 but is never dumped; anything past 12 is unknown here
    [InlineData(255)]
    public void TryDecode_UnknownState_ReturnsFalse(byte state)
    {
        Assert.False(InetDiagDecoder.TryDecode(NetlinkBytes.InetDiagMsg(2, state, 8080, 0, 1), SocketProtocol.Tcp, out _));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(12)]
    public void TryDecode_EdgeKnownStates_Decode(byte state)
    {
        Assert.True(InetDiagDecoder.TryDecode(NetlinkBytes.InetDiagMsg(2, state, 8080, 0, 1), SocketProtocol.Tcp, out SocketEntry e));
        Assert.Equal((SocketState)state, e.State);
    }
}

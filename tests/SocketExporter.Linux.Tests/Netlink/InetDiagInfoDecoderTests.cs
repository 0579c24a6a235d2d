using System.Buffers.Binary;
using SocketExporter.Linux.Netlink;
using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Linux.Tests.Netlink;

/// <summary>A dump reply with INET_DIAG_INFO: hand-made inet_diag_msg + rtattrs, one defect per case.</summary>
[Trait("Category", "Unit")]
public sealed class InetDiagInfoDecoderTests
{
    // inet_diag_msg of an established IPv4 socket 127.0.0.1:40000 -> 127.0.0.1:8080, cookie 0x1_0000_0007.
    private static byte[] Message(params byte[][] attributes)
    {
        var msg = new byte[72];
        msg[0] = 2;   // AF_INET
        msg[1] = 1;   // TCP_ESTABLISHED
        BinaryPrimitives.WriteUInt16BigEndian(msg.AsSpan(4), 40000);
        BinaryPrimitives.WriteUInt16BigEndian(msg.AsSpan(6), 8080);
        msg[8] = 127; msg[11] = 1; msg[24] = 127; msg[27] = 1;
        BinaryPrimitives.WriteUInt32LittleEndian(msg.AsSpan(44), 7);
        BinaryPrimitives.WriteUInt32LittleEndian(msg.AsSpan(48), 1);
        return [.. msg, .. attributes.SelectMany(a => a)];
    }

    private static byte[] Attribute(ushort type, byte[] value, ushort? length = null)
    {
        var a = new byte[(4 + value.Length + 3) & ~3];
        BinaryPrimitives.WriteUInt16LittleEndian(a, length ?? (ushort)(4 + value.Length));
        BinaryPrimitives.WriteUInt16LittleEndian(a.AsSpan(2), type);
        value.CopyTo(a, 4);
        return a;
    }

    private static byte[] TcpInfo(ulong bytesReceived, ulong bytesSent, uint totalRetrans, uint dataSegsOut)
    {
        var info = new byte[280];
        BinaryPrimitives.WriteUInt32LittleEndian(info.AsSpan(100), totalRetrans);
        BinaryPrimitives.WriteUInt64LittleEndian(info.AsSpan(128), bytesReceived);
        BinaryPrimitives.WriteUInt32LittleEndian(info.AsSpan(156), dataSegsOut);
        BinaryPrimitives.WriteUInt32LittleEndian(info.AsSpan(192), 3);   // delivered
        BinaryPrimitives.WriteUInt64LittleEndian(info.AsSpan(200), bytesSent);
        return info;
    }

    [Fact]
    public void TryDecode_WithInfo_SocketAndCounters()
    {
        byte[] payload = Message(Attribute(10, [6]), Attribute(2, TcpInfo(501, 100_000, 4, 77)));

        Assert.True(InetDiagInfoDecoder.TryDecode(payload, SocketProtocol.Tcp, out InetDiagWithInfo e));
        Assert.Equal((SocketState.Established, (ushort)40000, (ushort)8080, 0x1_0000_0007UL), (e.Socket.State, e.Socket.LocalPort, e.Socket.RemotePort, e.Socket.Cookie));
        Assert.NotNull(e.Info);
        Assert.Equal((501UL, 100_000UL, 4u, 77u, true), (e.Info.Value.BytesReceived, e.Info.Value.BytesSent, e.Info.Value.TotalRetransmits,
            e.Info.Value.DataSegmentsOut, e.Info.Value.WasEstablished));
    }

    [Fact]
    public void TryDecode_NoInfoAttribute_SocketWithoutCounters()
    {
        Assert.True(InetDiagInfoDecoder.TryDecode(Message(), SocketProtocol.Tcp, out InetDiagWithInfo e));
        Assert.Equal((ushort)40000, e.Socket.LocalPort);
        Assert.Null(e.Info);   // a listener's or a TIME_WAIT mini-socket's reply: no tcp_info, nothing to count
    }

    [Fact]
    public void TryDecode_AttributeOverrunningTheMessage_Rejected()
    {
        byte[] payload = Message(Attribute(2, TcpInfo(1, 1, 0, 1), length: 400));
        Assert.False(InetDiagInfoDecoder.TryDecode(payload, SocketProtocol.Tcp, out _));
    }

    [Fact]
    public void TryDecode_ShortTcpInfoOfAnOlderKernel_FieldsPastItsEndAbsent()
    {
        byte[] payload = Message(Attribute(2, TcpInfo(501, 9, 4, 77)[..104]));   // up to total_retrans (3.x kernels)
        Assert.True(InetDiagInfoDecoder.TryDecode(payload, SocketProtocol.Tcp, out InetDiagWithInfo e));
        Assert.Equal((true, false, false, 4u), (e.Info!.Value.HasTotalRetransmits, e.Info.Value.HasBytesReceived, e.Info.Value.HasDataSegmentsOut, e.Info.Value.TotalRetransmits));
    }
}

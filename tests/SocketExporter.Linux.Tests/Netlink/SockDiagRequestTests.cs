using System.Buffers.Binary;
using SocketExporter.Linux.Netlink;
using SocketExporter.Linux.Snapshot;
using SocketExporter.Linux.Tests.Infrastructure;

namespace SocketExporter.Linux.Tests.Netlink;

[Trait("Category", "Unit")]
public sealed class SockDiagRequestTests
{
    [Fact]
    public void InetLength_Is72_HeaderPlusInetDiagReqV2()
    {
        Assert.Equal(72, SockDiagRequest.InetLength);
    }

    [Fact]
    public void WriteInetDump_TcpV6ListenOnly_HasEveryFieldAtItsOffset()
    {
        byte[] r = new byte[SockDiagRequest.InetLength];

        SockDiagRequest.WriteInetDump(r, SocketFamily.Ipv6, SocketProtocol.Tcp, 1u << 10, 0x01020304);

        Assert.Equal(72u, BinaryPrimitives.ReadUInt32LittleEndian(r));                 // nlmsg_len
        Assert.Equal((ushort)20, BinaryPrimitives.ReadUInt16LittleEndian(r.AsSpan(4))); // SOCK_DIAG_BY_FAMILY
        Assert.Equal((ushort)0x301, BinaryPrimitives.ReadUInt16LittleEndian(r.AsSpan(6))); // NLM_F_REQUEST | NLM_F_DUMP
        Assert.Equal(0x01020304u, BinaryPrimitives.ReadUInt32LittleEndian(r.AsSpan(8)));   // nlmsg_seq
        Assert.Equal(0u, BinaryPrimitives.ReadUInt32LittleEndian(r.AsSpan(12)));           // nlmsg_pid: the kernel
        Assert.Equal((byte)10, r[16]);   // sdiag_family AF_INET6
        Assert.Equal((byte)6, r[17]);    // sdiag_protocol IPPROTO_TCP
        Assert.Equal((byte)0, r[18]);    // idiag_ext: no attributes requested
        Assert.Equal((byte)0, r[19]);    // pad
        Assert.Equal(0x400u, BinaryPrimitives.ReadUInt32LittleEndian(r.AsSpan(20)));       // idiag_states
        Assert.All(r[24..], b => Assert.Equal(0, b));                                      // inet_diag_sockid
    }

    [Fact]
    public void WriteInetDump_WithInfoExtension_SetsIdiagExtBitOfInetDiagInfo()
    {
        byte[] r = new byte[SockDiagRequest.InetLength];

        SockDiagRequest.WriteInetDump(r, SocketFamily.Ipv4, SocketProtocol.Tcp, 0xFFFFFFFF, 1, InetDiagAttributes.InfoExtension);

        Assert.Equal((byte)0b10, r[18]);   // idiag_ext: 1 << (INET_DIAG_INFO 2 - 1)
        Assert.Equal(72u, BinaryPrimitives.ReadUInt32LittleEndian(r));   // no attribute: the length stays
    }

    [Fact]
    public void WriteInetDump_LocalPort_AppendsAnSEqBytecodeAttribute()
    {
        byte[] r = new byte[SockDiagRequest.InetLocalPortLength];

        SockDiagRequest.WriteInetDump(r, SocketFamily.Ipv4, SocketProtocol.Tcp, 0xFFFFFFFFu, 7, localPort: 8080);

        Assert.Equal(84, r.Length);
        Assert.Equal(84u, BinaryPrimitives.ReadUInt32LittleEndian(r));                      // nlmsg_len covers the attribute
        Assert.Equal((byte)2, r[16]);                                                        // AF_INET
        Assert.Equal(0xFFFFFFFFu, BinaryPrimitives.ReadUInt32LittleEndian(r.AsSpan(20)));   // idiag_states
        Assert.Equal((ushort)12, BinaryPrimitives.ReadUInt16LittleEndian(r.AsSpan(72)));    // nla_len: 4 + two ops
        Assert.Equal((ushort)1, BinaryPrimitives.ReadUInt16LittleEndian(r.AsSpan(74)));     // INET_DIAG_REQ_BYTECODE
        Assert.Equal(new byte[] { 11, 8, 12, 0 }, r[76..80]);                               // S_EQ, yes=8 (accept), no=12 (reject)
        Assert.Equal((ushort)8080, BinaryPrimitives.ReadUInt16LittleEndian(r.AsSpan(82)));  // port, host order, in `no`
        Assert.Equal(0, r[80] | r[81]);
    }

    [Theory]
    [InlineData("tcp4-listen-and-established", SocketFamily.Ipv4, SocketProtocol.Tcp, 0xFFFFFFFFu)]
    [InlineData("tcp4-listen-only", SocketFamily.Ipv4, SocketProtocol.Tcp, 0x400u)]
    [InlineData("tcp6-listen-v6only", SocketFamily.Ipv6, SocketProtocol.Tcp, 0xFFFFFFFFu)]
    [InlineData("udp4-bound-and-connected", SocketFamily.Ipv4, SocketProtocol.Udp, 0xFFFFFFFFu)]
    [InlineData("udp6-bound", SocketFamily.Ipv6, SocketProtocol.Udp, 0xFFFFFFFFu)]
    public void WriteInetDump_SameParametersAsACapture_IsByteIdenticalToTheCapturedRequest(string name, SocketFamily family,
        SocketProtocol protocol, uint states)
    {
        byte[] captured = Fixture.NetlinkRequestBytes(name);
        Assert.Equal(72, captured.Length);
        byte[] r = new byte[SockDiagRequest.InetLength];

        SockDiagRequest.WriteInetDump(r, family, protocol, states, NetlinkBytes.FixtureSequence);

        Assert.Equal(Convert.ToHexString(captured), Convert.ToHexString(r));
    }

    [Fact]
    public void WriteInetDump_DirtyLargerBuffer_ClearsTheRequestAndLeavesTheRestAlone()
    {
        byte[] r = Enumerable.Repeat((byte)0xAA, 100).ToArray();

        SockDiagRequest.WriteInetDump(r, SocketFamily.Ipv4, SocketProtocol.Udp, NetlinkConstants.AllStates, 1);

        Assert.Equal((byte)17, r[17]);
        Assert.All(r[24..72], b => Assert.Equal(0, b));
        Assert.All(r[72..], b => Assert.Equal(0xAA, b));
    }

    [Fact]
    public void WriteInetDump_DestinationTooShort_Throws()
    {
        byte[] r = new byte[71];

        Assert.Throws<ArgumentOutOfRangeException>(() =>
            SockDiagRequest.WriteInetDump(r, SocketFamily.Ipv4, SocketProtocol.Tcp, NetlinkConstants.AllStates, 1));
    }

    [Fact]
    public void WriteTcpDump_IsACompatTcpDiagRequest_WithStatesExtensionsAndPortProgram()
    {
        byte[] plain = new byte[SockDiagRequest.TcpLength];
        byte[] filtered = new byte[SockDiagRequest.TcpLocalPortLength];

        SockDiagRequest.WriteTcpDump(plain, 0x400u, 9, InetDiagAttributes.InfoExtension);
        SockDiagRequest.WriteTcpDump(filtered, 0xFFFFFFFFu, 10, localPort: 8080);

        Assert.Equal(76, plain.Length);                                                      // nlmsghdr + struct inet_diag_req
        Assert.Equal(76u, BinaryPrimitives.ReadUInt32LittleEndian(plain));
        Assert.Equal((ushort)18, BinaryPrimitives.ReadUInt16LittleEndian(plain.AsSpan(4))); // TCPDIAG_GETSOCK
        Assert.Equal((ushort)0x301, BinaryPrimitives.ReadUInt16LittleEndian(plain.AsSpan(6)));
        Assert.Equal(9u, BinaryPrimitives.ReadUInt32LittleEndian(plain.AsSpan(8)));
        Assert.Equal((byte)0, plain[16]);                                                    // idiag_family: unused by a dump
        Assert.Equal((byte)0b10, plain[19]);                                                 // idiag_ext: INET_DIAG_INFO
        Assert.All(plain[20..68], b => Assert.Equal(0, b));                                  // inet_diag_sockid
        Assert.Equal(0x400u, BinaryPrimitives.ReadUInt32LittleEndian(plain.AsSpan(68)));     // idiag_states
        Assert.Equal(0u, BinaryPrimitives.ReadUInt32LittleEndian(plain.AsSpan(72)));         // idiag_dbs

        Assert.Equal(88u, BinaryPrimitives.ReadUInt32LittleEndian(filtered));                // the attribute is covered
        Assert.Equal(0xFFFFFFFFu, BinaryPrimitives.ReadUInt32LittleEndian(filtered.AsSpan(68)));
        Assert.Equal((ushort)12, BinaryPrimitives.ReadUInt16LittleEndian(filtered.AsSpan(76)));   // nla_len
        Assert.Equal((ushort)1, BinaryPrimitives.ReadUInt16LittleEndian(filtered.AsSpan(78)));    // INET_DIAG_REQ_BYTECODE
        Assert.Equal((byte)11, filtered[80]);                                                      // INET_DIAG_BC_S_EQ
        Assert.Equal((ushort)8080, BinaryPrimitives.ReadUInt16LittleEndian(filtered.AsSpan(86))); // the port, host order
    }
}

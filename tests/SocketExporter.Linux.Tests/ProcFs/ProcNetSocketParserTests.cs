using System.Text;
using SocketExporter.Linux.ProcFs;
using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Linux.Tests.ProcFs;

[Trait("Category", "Unit")]
public sealed class ProcNetSocketParserTests
{
    private const string Tail = " 00:00000000 00000000  1000        0 616857 1 0000000000000000 100 0 0 10 0";

    [Fact]
    public void TryParseLine_Ipv4Listener_DecodesEveryField()
    {
        string line = "   0: 0101A8C0:1F90 00000000:0000 0A 00000002:00000003" + Tail;

        Assert.True(Parse(line, SocketFamily.Ipv4, out SocketEntry e, out _));
        Assert.Equal((SocketProtocol.Tcp, SocketFamily.Ipv4, SocketState.Listen), (e.Protocol, e.Family, e.State));
        Assert.Equal(("192.168.1.1", (ushort)8080, "0.0.0.0", (ushort)0),
            (e.LocalAddress.Format(SocketFamily.Ipv4), e.LocalPort, e.RemoteAddress.Format(SocketFamily.Ipv4), e.RemotePort));
        Assert.Equal((2u, 3u, 1000u, 616857ul), (e.SendQueue, e.ReceiveQueue, e.Uid, e.Inode));
    }

    [Theory]
    // The kernel prints each __be32 of in6_addr as a host-order %08X: on little-endian every word is byte-reversed.
    [InlineData("00000000000000000000000001000000", "::1")]
    [InlineData("00000000000000000000000000000000", "::")]
    [InlineData("0000000000000000FFFF00000100007F", "::ffff:127.0.0.1")]
    [InlineData("B80D0120000000000000000001000000", "2001:db8::1")]
    [InlineData("000080FE00000000FF00FC00010000FE", "fe80::fc:ff:fe00:1")]
    public void TryParseLine_Ipv6Address_DecodesNetworkOrder(string hex, string expected)
    {
        string line = $"   0: {hex}:01BB 00000000000000000000000000000000:0000 0A 00000000:00000000" + Tail;

        Assert.True(Parse(line, SocketFamily.Ipv6, out SocketEntry e, out _));
        Assert.Equal(expected, e.LocalAddress.Format(SocketFamily.Ipv6));
        Assert.Equal((ushort)443, e.LocalPort);
    }

    [Fact]
    public void TryParseLine_Ipv6Address_EqualsTheSockDiagBytes()
    {
        string line = "   0: B80D0120000000000000000001000000:01BB 00000000000000000000000000000000:0000 0A 00000000:00000000" + Tail;

        Assert.True(Parse(line, SocketFamily.Ipv6, out SocketEntry e, out _));
        Assert.Equal(InetAddress.FromBytes([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]), e.LocalAddress);
    }

    [Theory]
    [InlineData("", 1)]                                                                        // empty
    [InlineData("   0 0100007F:1F90 00000000:0000 0A 00000000:00000000", 1)]                  // sl without ':'
    [InlineData("   0:", 2)]                                                                   // nothing after sl
    [InlineData("   0: 100007F:1F90 00000000:0000 0A 00000000:00000000", 2)]                  // 7 hex digits
    [InlineData("   0: 0100007F1F90 00000000:0000 0A 00000000:00000000", 2)]                  // no ':' in endpoint
    [InlineData("   0: 0100007F:1F900 00000000:0000 0A 00000000:00000000", 2)]                // 5-digit port
    [InlineData("   0: 01Z0007G:9C41 0100007F:1F90 01 00000000:00000005", 2)]                 // address not hex
    [InlineData("   0: 0100007F:9CXQ 0100007F:1F90 01 00000000:00000005", 2)]                 // port not hex
    [InlineData("   0: 0100007F:1F90 00000000:0000", 4)]                                      // ends before st
    [InlineData("   0: 0100007F:1F90 0000000:00000 0A 00000000:00000000", 3)]                 // remote malformed
    [InlineData("   0: 0100007F:1F90 00000000:0000 00 00000000:00000000", 4)]                 // state 0 does not exist
    [InlineData("   0: 0100007F:1F90 00000000:0000 0D 00000000:00000000", 4)]                 // state 13 unknown
    [InlineData("   0: 0100007F:1F90 00000000:0000 1FF 00000000:00000000", 4)]                // > 255
    [InlineData("   0: 0100007F:1F90 00000000:0000 ZZ 00000000:00000000", 4)]                 // not hex
    [InlineData("   0: 0100007F:9C41 0100007F:1F90 01", 5)]                                   // tcp-malformed line 3
    [InlineData("   0: 0100007F:1F90 00000000:0000 0A 0000000000000000", 5)]                  // no ':' between queues
    [InlineData("   0: 0100007F:1F90 00000000:0000 0A :00000000", 5)]                         // empty tx_queue
    [InlineData("   0: 0100007F:1F90 00000000:0000 0A 00000000:", 5)]                         // empty rx_queue
    [InlineData("   0: 0100007F:9C41 0100007F:1F90 01 00000000:000", 8)]                      // tcp-malformed line 8
    [InlineData("   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000 -1 0 1", 8)]   // negative uid
    [InlineData("   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000 abc 0 1", 8)]
    [InlineData("   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0", 10)]     // no inode
    [InlineData("   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 12x", 10)]
    public void TryParseLine_MalformedLine_ReturnsFalseWithFieldAndLine(string line, int field)
    {
        Assert.False(ProcNetSocketParser.TryParseLine(Encoding.ASCII.GetBytes(line), SocketProtocol.Tcp, SocketFamily.Ipv4, 17,
            out SocketEntry entry, out ParseError error));
        Assert.Equal((17, field), (error.Line, error.Field));
        Assert.StartsWith("/proc/net", error.Source);
        Assert.Equal(default, entry);
    }

    [Fact]
    public void TryParseLine_Ipv6AddressInV4Table_IsBadAtField2()
    {
        string line = "   0: 00000000000000000000000001000000:01BB 00000000000000000000000000000000:0000 0A 00000000:00000000" + Tail;

        Assert.False(Parse(line, SocketFamily.Ipv4, out _, out ParseError error));
        Assert.Equal(2, error.Field);
    }

    [Fact]
    public void TryParseLine_TabsAndExtraSpaces_AreSeparators()
    {
        string line = "\t12:\t0100007F:0050   0100007F:C000\t01 00000000:00000000 00:00000000 00000000 0 0 99";

        Assert.True(Parse(line, SocketFamily.Ipv4, out SocketEntry e, out _));
        Assert.Equal(((ushort)80, (ushort)0xC000, 99ul), (e.LocalPort, e.RemotePort, e.Inode));
    }

    [Fact]
    public void TryParseLine_InodeAbove32Bits_IsKept()
    {
        string line = "   0: 0100007F:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 4294967296";

        Assert.True(Parse(line, SocketFamily.Ipv4, out SocketEntry e, out _));
        Assert.Equal(4294967296ul, e.Inode);
    }

    // The kernel prints the uid with "%5u" (from_kuid_munged, net/ipv4/tcp_ipv4.c get_tcp4_sock): every u32 but
    // (uid_t)-1 is a valid uid, so 3000000000 must parse.
    [Fact]
    public void TryParseLine_UidAboveInt32Max_IsAValidUid()
    {
        string line = "   0: 0100007F:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000 3000000000 0 7";

        Assert.True(Parse(line, SocketFamily.Ipv4, out SocketEntry e, out ParseError error), error.ToString());
        Assert.Equal(3000000000u, e.Uid);
    }

    private static bool Parse(string line, SocketFamily family, out SocketEntry entry, out ParseError error) =>
        ProcNetSocketParser.TryParseLine(Encoding.ASCII.GetBytes(line), SocketProtocol.Tcp, family, 2, out entry, out error);
}

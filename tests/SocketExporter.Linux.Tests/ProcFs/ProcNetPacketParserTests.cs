using System.Text;
using SocketExporter.Linux.ProcFs;
using SocketExporter.Linux.Snapshot;
using SocketExporter.Linux.Tests.Infrastructure;

namespace SocketExporter.Linux.Tests.ProcFs;

[Trait("Category", "Unit")]
public sealed class ProcNetPacketParserTests
{
    [Fact]
    public void Parse_CapturedTable_TypeEthertypeInterfaceAndInode()
    {
        var sink = new List<RawSocketEntry>();
        ProcNetTableResult result = ProcNetPacketParser.Parse(Fixture.ReadBytes("proc/net/packet"), sink);

        Assert.Equal((2, 0), (result.Sockets, result.BadLines));
        Assert.Equal(new RawSocketEntry(RawSocketKind.Packet, SocketFamily.Packet, 0x0003, 3, 1, 0, 503922), sink[0]);
        Assert.Equal(new RawSocketEntry(RawSocketKind.Packet, SocketFamily.Packet, 0x0800, 2, 0, 0, 503923), sink[1]);
    }

    [Theory]
    [InlineData("000000004fdf02e0 2 3", 4)]                          // cut after Type
    [InlineData("000000004fdf02e0 2 x 0003 1 0 0 0 503922", 3)]       // Type not a number
    [InlineData("000000004fdf02e0 2 3 zz03 1 0 0 0 503922", 4)]       // Proto not hex
    [InlineData("000000004fdf02e0 2 3 10003 1 0 0 0 503922", 4)]      // Proto wider than 16 bits
    [InlineData("000000004fdf02e0 2 3 0003 -2 0 0 0 503922", 5)]      // negative ifindex other than -1
    [InlineData("000000004fdf02e0 2 3 0003 1 0 0 0", 9)]              // no inode
    public void TryParseLine_Malformed_ReportsFieldAndDoesNotThrow(string line, int field)
    {
        Assert.False(ProcNetPacketParser.TryParseLine(Encoding.ASCII.GetBytes(line), 2, out _, out ParseError error));
        Assert.Equal((field, 2), (error.Field, error.Line));
    }

    [Fact]
    public void TryParseLine_InterfaceUnregistered_IsMinusOne()
    {
        // packet_notifier() sets po->ifindex to -1 when the bound device goes away; the socket stays open and listed.
        Assert.True(ProcNetPacketParser.TryParseLine("0000000000000000 2 3 0003 -1 0 0 0 12345"u8, 2, out RawSocketEntry entry, out _));
        Assert.Equal((ProcNetPacketParser.GoneInterface, 12345UL), (entry.InterfaceIndex, entry.Inode));
    }

    [Fact]
    public void Parse_BadLineAmongGood_CountedAndSkipped()
    {
        byte[] text = Encoding.ASCII.GetBytes("sk RefCnt Type Proto Iface R Rmem User Inode\n0 2 3 0003 1 0 0 0 7\ngarbage\n0 2 2 0800 0 1 0 0 8\n");
        var sink = new List<RawSocketEntry>();
        ProcNetTableResult result = ProcNetPacketParser.Parse(text, sink);
        Assert.Equal((2, 1, 3), (result.Sockets, result.BadLines, result.FirstError!.Value.Line));
        Assert.Equal([7UL, 8UL], sink.Select(s => s.Inode));
    }
}

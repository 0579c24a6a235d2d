using System.Text;
using SocketExporter.Linux.ProcFs;
using SocketExporter.Linux.Tests.Infrastructure;
using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Linux.Tests.ProcFs;

[Trait("Category", "Unit")]
public sealed class ProcNetstatParserTests
{
    [Fact]
    public void TryParseListenDrops_Fixture_ReadsTheOverflowsOfABacklog1Listener()
    {
        // Captured in a fresh namespace: a listener with backlog 1, four clients, none accepted.
        Assert.True(ProcNetstatParser.TryParseListenDrops(Fixture.ReadBytes("proc/net/netstat"), out ListenDropCounters counters, out ParseError error));
        Assert.Equal((new ListenDropCounters(6, 6), default(ParseError)), (counters, error));
    }

    [Fact]
    public void TryParseListenDrops_CountersInAnotherOrder_AreFoundByName()
    {
        byte[] text = Encoding.ASCII.GetBytes(
            "TcpExt: ListenDrops SyncookiesSent ListenOverflows\nTcpExt: 9 1 4\nIpExt: InNoRoutes\nIpExt: 0\n");
        Assert.True(ProcNetstatParser.TryParseListenDrops(text, out ListenDropCounters counters, out _));
        Assert.Equal(new ListenDropCounters(4, 9), counters);
    }

    [Theory]
    [InlineData("", 1, 0)]                                                                  // empty file
    [InlineData("IpExt: InNoRoutes\nIpExt: 0\n", 3, 0)]                                    // no TcpExt at all
    [InlineData("TcpExt: ListenOverflows ListenDrops\n", 2, 0)]                            // names without values (cut short)
    [InlineData("TcpExt: ListenOverflows ListenDrops\nIpExt: 0 0\n", 2, 0)]                // values line of another kind
    [InlineData("TcpExt: SyncookiesSent ListenOverflows ListenDrops\nTcpExt: 0 5\n", 2, 4)] // fewer values than names
    [InlineData("TcpExt: ListenOverflows ListenDrops\nTcpExt: 5 x7\n", 2, 3)]              // not a number
    [InlineData("TcpExt: ListenOverflows ListenDrops\nTcpExt: -5 7\n", 2, 2)]              // negative
    [InlineData("TcpExt: SyncookiesSent ListenOverflows\nTcpExt: 0 5\n", 1, 0)]            // ListenDrops missing
    public void TryParseListenDrops_Malformed_FailsWithWhere(string content, int line, int field)
    {
        Assert.False(ProcNetstatParser.TryParseListenDrops(Encoding.ASCII.GetBytes(content), out ListenDropCounters counters, out ParseError error));
        Assert.Equal(default, counters);
        Assert.Equal(new ParseError("netstat", line, field), error);
    }
}

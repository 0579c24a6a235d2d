using SocketExporter.Collectors;
using SocketExporter.Linux.Snapshot;
using SocketExporter.Tests.Infrastructure;
using static SocketExporter.Tests.Collectors.SnapshotBuilding;

namespace SocketExporter.Tests.Collectors;

[Trait("Category", "Unit")]
public sealed class RawSocketsCollectorTests
{
    private static RawSocketEntry Raw(RawSocketKind kind, SocketFamily family, ushort protocol, ulong inode) =>
        new(kind, family, protocol, 0, 0, 0, inode);

    private static RawSocketEntry Packet(byte type, ushort ethertype, int ifindex, ulong inode) =>
        new(RawSocketKind.Packet, SocketFamily.Packet, ethertype, type, ifindex, 0, inode);

    private static ScrapeSnapshot Scenario()
    {
        var b = new SnapshotBuilding();
        b.Host.Interface(1, "lo").Add(
            Raw(RawSocketKind.Raw, SocketFamily.Ipv4, 1, 10),     // ICMP, shared by two processes of one daemon
            Raw(RawSocketKind.Raw, SocketFamily.Ipv4, 1, 11),
            Raw(RawSocketKind.Ping, SocketFamily.Ipv6, 58, 12),   // a ping socket nobody visible holds
            Raw(RawSocketKind.Raw, SocketFamily.Ipv4, 200, 13),   // an unnamed protocol: by number
            Packet(3, 0x0003, 1, 14),                             // tcpdump -i lo
            Packet(2, 0x0800, 0, 15),                             // dgram, every interface
            Packet(3, 0x88CC, ProcNetPacketGone, 16));            // bound to an interface since unregistered
        b.Netns(4026532400).Add(Packet(3, 0x0003, 2, 20),         // no name read for ifindex 2
            Raw(RawSocketKind.Ping, SocketFamily.Ipv4, 1, 21));
        b.Process(100, "bird", null, 10, 11, 13);
        b.Process(101, "bird", null, 10);
        b.Process(200, "tcpdump", null, 14, 15, 16);
        b.Process(300, "dhclient", null, 20, 21);
        return b.Build();
    }

    private const int ProcNetPacketGone = Linux.ProcFs.ProcNetPacketParser.GoneInterface;

    [Fact]
    public void Update_RawPingAndPacketSockets_PerHolderAndNamespace()
    {
        MetricSet m = Run(new RawSocketsCollector(), Scenario());
        Assert.Equal(Expected(
            """{kind="raw",family="ipv4",protocol="icmp",pid="100",program="bird",netns="host"} 2""",
            """{kind="raw",family="ipv4",protocol="icmp",pid="101",program="bird",netns="host"} 1""",
            """{kind="ping",family="ipv6",protocol="ipv6-icmp",pid="",program="",netns="host"} 1""",
            """{kind="raw",family="ipv4",protocol="200",pid="100",program="bird",netns="host"} 1""",
            """{kind="ping",family="ipv4",protocol="icmp",pid="300",program="dhclient",netns="4026532400"} 1"""),
            Series(m, "socket_raw"));
        Assert.Equal(Expected(
            """{type="raw",protocol="all",interface="lo",pid="200",program="tcpdump",netns="host"} 1""",
            """{type="dgram",protocol="ip",interface="",pid="200",program="tcpdump",netns="host"} 1""",
            """{type="raw",protocol="lldp",interface="gone",pid="200",program="tcpdump",netns="host"} 1""",
            """{type="raw",protocol="all",interface="if2",pid="300",program="dhclient",netns="4026532400"} 1"""),
            Series(m, "socket_packet"));
    }

    [Fact]
    public void Update_DropPidAndNetnsFilter()
    {
        var options = new MetricOptions
        {
            DroppedLabels = new HashSet<string> { "pid" },
            Filter = new SeriesFilter { NetnsExclude = new System.Text.RegularExpressions.Regex("^host$") },
        };
        MetricSet m = Run(new RawSocketsCollector(), Scenario(), options);
        Assert.Equal(Expected("""{kind="ping",family="ipv4",protocol="icmp",program="dhclient",netns="4026532400"} 1"""),
            Series(m, "socket_raw"));
        Assert.Equal(Expected("""{type="raw",protocol="all",interface="if2",program="dhclient",netns="4026532400"} 1"""),
            Series(m, "socket_packet"));

        m = Run(new RawSocketsCollector(), Scenario(), new MetricOptions { DroppedLabels = new HashSet<string> { "pid" } });
        Assert.Contains("""{kind="raw",family="ipv4",protocol="icmp",program="bird",netns="host"} 3""", Series(m, "socket_raw"));
    }

    [Fact]
    public void Update_PastTheSeriesLimit_Folds()
    {
        var budget = new SeriesBudget(limit: 5);
        MetricSet m = Run(new RawSocketsCollector(), Scenario(), new MetricOptions(), budget);
        // The host's 4 raw series, then its packet series: 1 kept, 2 folded; the namespace's raw and packet series folded.
        Assert.Equal(5, m.Named("socket_raw").Count());
        Assert.Equal(1, Assert.Single(m.Named("socket_raw"), s => s["kind"] == MetricWriter.OverflowValue).Value);
        Assert.Equal(3, Assert.Single(m.Named("socket_packet"), s => s["type"] == MetricWriter.OverflowValue).Value);
        Assert.Equal(3, budget.Overflow[("socket_packet", SeriesPool.General)]);
    }

    [Fact]
    public void Update_NoNamespacesRawTableReadable_FailsInsteadOfExportingNothing()
    {
        var b = new SnapshotBuilding();
        b.Host.RawSocketsError = "EACCES";
        Assert.Throws<CollectorDataUnavailableException>(() => Run(new RawSocketsCollector(), b.Build()));
    }
}

using System.Text.RegularExpressions;
using SocketExporter.Collectors;
using SocketExporter.Linux.Snapshot;
using SocketExporter.Tests.Infrastructure;
using static SocketExporter.Tests.Collectors.SnapshotBuilding;

namespace SocketExporter.Tests.Collectors;

/// <summary>socket_unix_connections on one hand-built snapshot: server sides named by their listener, clients named
/// through their peer, a client shared by two processes, one whose holder is hidden, in two namespaces.</summary>
[Trait("Category", "Unit")]
public sealed class UnixConnectionsCollectorTests
{
    private static ScrapeSnapshot Scenario()
    {
        var b = new SnapshotBuilding();
        b.Host.Add(
            UnixListener("/run/db.sock", 50),
            UnixConnected(51, peer: 52, "/run/db.sock"),   // accepted: carries the listener's path
            UnixConnected(52, peer: 51),                   // its client, held by two processes (an inherited descriptor)
            UnixConnected(53, peer: 54, "/run/db.sock"),
            UnixConnected(54, peer: 53),                   // a client no visible process holds
            UnixConnected(55, peer: 56),                   // a socketpair: no path, not counted
            UnixConnected(56, peer: 55),
            UnixConnected(57, peer: 51, type: UnixSocketType.Datagram));   // not connection-oriented
        b.Netns(4026532300).Add(
            UnixListener("@abstract", 80),
            UnixConnected(81, peer: 82, "@abstract"),
            UnixConnected(82, peer: 81));
        b.Process(60, "db", null, 50, 51, 53);
        b.Process(70, "app", null, 52, 55, 56, 57);
        b.Process(71, "app", null, 52);
        b.Process(90, "srv", null, 80, 81);
        b.Process(91, "cli", null, 82);
        return b.Build();
    }

    [Fact]
    public void Update_ServerSidesAndClients_CountedUnderTheListenersPath()
    {
        Assert.Equal(Expected(
            """{path="/run/db.sock",state="established",pid="60",program="db",netns="host"} 2""",
            """{path="/run/db.sock",state="established",pid="70",program="app",netns="host"} 1""",
            """{path="/run/db.sock",state="established",pid="71",program="app",netns="host"} 1""",
            """{path="/run/db.sock",state="established",pid="",program="",netns="host"} 1""",
            """{path="@abstract",state="established",pid="90",program="srv",netns="4026532300"} 1""",
            """{path="@abstract",state="established",pid="91",program="cli",netns="4026532300"} 1"""),
            Series(Run(new UnixConnectionsCollector(), Scenario()), "socket_unix_connections"));
    }

    [Fact]
    public void Update_DropPidAndFilters()
    {
        var options = new MetricOptions
        {
            DroppedLabels = new HashSet<string> { "pid" },
            Filter = new SeriesFilter { ProgramExclude = new Regex("^srv$"), NetnsExclude = new Regex("^host$") },
        };
        Assert.Equal(Expected("""{path="@abstract",state="established",program="cli",netns="4026532300"} 1"""),
            Series(Run(new UnixConnectionsCollector(), Scenario(), options), "socket_unix_connections"));

        options = new MetricOptions { DroppedLabels = new HashSet<string> { "pid" }, Filter = new SeriesFilter { NetnsInclude = new Regex("^host$") } };
        Assert.Equal(Expected(
            """{path="/run/db.sock",state="established",program="db",netns="host"} 2""",
            """{path="/run/db.sock",state="established",program="app",netns="host"} 2""",
            """{path="/run/db.sock",state="established",program="",netns="host"} 1"""),
            Series(Run(new UnixConnectionsCollector(), Scenario(), options), "socket_unix_connections"));
    }

    [Fact]
    public void Update_PastTheUnixPathLimit_FoldsInTheUnixPool_NotTheGeneralOne()
    {
        var budget = new SeriesBudget(limit: 1, unixPathLimit: 2);
        List<Sample> series = Run(new UnixConnectionsCollector(), Scenario(), new MetricOptions(), budget)
            .Named("socket_unix_connections").ToList();

        // Written in the kernel's order, a socket's holders newest first: db's server sides (2) and app 71 kept;
        // app 70, the unheld client and the namespace's two folded.
        Assert.Equal(Expected(
            """{path="/run/db.sock",state="established",pid="60",program="db",netns="host"} 2""",
            """{path="/run/db.sock",state="established",pid="71",program="app",netns="host"} 1""",
            """{path="overflow",state="overflow",pid="overflow",program="overflow",netns="overflow"} 4"""),
            Series(new MetricSet(series), "socket_unix_connections"));
        Assert.Equal((0, 4), (budget.Used, budget.Overflow[("socket_unix_connections", SeriesPool.UnixPath)]));
    }
}

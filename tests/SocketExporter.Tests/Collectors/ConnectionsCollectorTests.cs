using SocketExporter.Collectors;
using SocketExporter.Linux.Snapshot;
using SocketExporter.Tests.Infrastructure;
using static SocketExporter.Tests.Collectors.SnapshotBuilding;

namespace SocketExporter.Tests.Collectors;

/// <summary>socket_connections and socket_queued_bytes on one hand-built snapshot: inbound, outbound, unheld and
/// shared connections in two namespaces, then --metrics.drop-pid, the state/port filters and the series limit.</summary>
[Trait("Category", "Unit")]
public sealed class ConnectionsCollectorTests
{
    private static ScrapeSnapshot Scenario()
    {
        var b = new SnapshotBuilding();   // ephemeral range: the new-namespace default 32768-60999
        b.Host.Add(
            TcpListener("127.0.0.1", 8080, 1, queued: 0, backlog: 5),
            Tcp(SocketState.Established, "127.0.0.1:8080", "127.0.0.1:40001", 2, receiveQueue: 11),   // accepted, shared by two workers
            Tcp(SocketState.Established, "127.0.0.1:40001", "127.0.0.1:8080", 3, receiveQueue: 5),    // its client
            Tcp(SocketState.TimeWait, "127.0.0.1:8080", "127.0.0.1:40002", 0),                         // no holder
            Tcp(SocketState.Established, "10.0.0.1:45000", "192.0.2.7:443", 4, sendQueue: 100),        // to a remote service
            Tcp(SocketState.Established, "127.0.0.1:50000", "127.0.0.1:50001", 5),                     // both ports ephemeral
            Tcp(SocketState.Established, "127.0.0.1:2000", "127.0.0.1:50002", 6),                      // bound on purpose, no listener
            UdpBound("0.0.0.0:40500", 7));                                                             // a sendto() client
        b.Netns(4026532200).Add(Tcp(SocketState.Established, "10.1.0.2:45001", "10.1.0.1:5432", 8, receiveQueue: 3));
        b.Process(10, "server", null, 1, 2);
        b.Process(11, "server", null, 2);
        b.Process(20, "client", null, 3, 4, 5, 7);
        b.Process(30, "app", null, 8);
        return b.Build();
    }

    [Fact]
    public void Update_TwoNamespaces_DirectionPortAndHolderOfEachConnection()
    {
        MetricSet m = Run(new ConnectionsCollector(), Scenario());

        Assert.Equal(Expected(
            """{protocol="tcp",state="established",direction="inbound",port="8080",pid="10",program="server",netns="host"} 1""",
            """{protocol="tcp",state="established",direction="inbound",port="8080",pid="11",program="server",netns="host"} 1""",
            """{protocol="tcp",state="established",direction="outbound",port="8080",pid="20",program="client",netns="host"} 1""",
            """{protocol="tcp",state="time_wait",direction="inbound",port="8080",pid="",program="",netns="host"} 1""",
            """{protocol="tcp",state="established",direction="outbound",port="443",pid="20",program="client",netns="host"} 1""",
            """{protocol="tcp",state="established",direction="outbound",port="ephemeral",pid="20",program="client",netns="host"} 1""",
            """{protocol="tcp",state="established",direction="inbound",port="2000",pid="",program="",netns="host"} 1""",
            """{protocol="udp",state="close",direction="outbound",port="",pid="20",program="client",netns="host"} 1""",
            """{protocol="tcp",state="established",direction="outbound",port="5432",pid="30",program="app",netns="4026532200"} 1"""),
            Series(m, "socket_connections"));
        // Only groups with bytes queued, both queues then.
        Assert.Equal(Expected(
            """{protocol="tcp",queue="receive",direction="inbound",port="8080",pid="10",program="server",netns="host"} 11""",
            """{protocol="tcp",queue="send",direction="inbound",port="8080",pid="10",program="server",netns="host"} 0""",
            """{protocol="tcp",queue="receive",direction="inbound",port="8080",pid="11",program="server",netns="host"} 11""",
            """{protocol="tcp",queue="send",direction="inbound",port="8080",pid="11",program="server",netns="host"} 0""",
            """{protocol="tcp",queue="receive",direction="outbound",port="8080",pid="20",program="client",netns="host"} 5""",
            """{protocol="tcp",queue="send",direction="outbound",port="8080",pid="20",program="client",netns="host"} 0""",
            """{protocol="tcp",queue="receive",direction="outbound",port="443",pid="20",program="client",netns="host"} 0""",
            """{protocol="tcp",queue="send",direction="outbound",port="443",pid="20",program="client",netns="host"} 100""",
            """{protocol="tcp",queue="receive",direction="outbound",port="5432",pid="30",program="app",netns="4026532200"} 3""",
            """{protocol="tcp",queue="send",direction="outbound",port="5432",pid="30",program="app",netns="4026532200"} 0"""),
            Series(m, "socket_queued_bytes"));
    }

    [Fact]
    public void Update_DropPid_TheWorkersOfOneProgramSummed()
    {
        var options = new MetricOptions { DroppedLabels = new HashSet<string> { "pid" } };
        MetricSet m = Run(new ConnectionsCollector(), Scenario(), options);

        string[] inbound = Series(m, "socket_connections").Where(s => s.Contains("port=\"8080\"") && s.Contains("inbound")).ToArray();
        Assert.Equal(Expected(
            """{protocol="tcp",state="established",direction="inbound",port="8080",program="server",netns="host"} 2""",
            """{protocol="tcp",state="time_wait",direction="inbound",port="8080",program="",netns="host"} 1"""), inbound);
        // As written today, a connection counts once per holder, and so do its queued bytes: the 11 bytes of the one
        // socket both workers hold read 22 (unlike socket_listen_queue_*, which count a shared socket once).
        Assert.Contains("""{protocol="tcp",queue="receive",direction="inbound",port="8080",program="server",netns="host"} 22""",
            Series(m, "socket_queued_bytes"));
        Assert.Equal(9 - 1, m.Named("socket_connections").Count());   // pids 10 and 11 became one series
    }

    [Fact]
    public void Update_StateAndPortFilters_KeepOnlyWhatTheyAllow()
    {
        var filter = new SeriesFilter
        {
            StateInclude = new HashSet<string> { "established" },
            PortExclude = PortRanges.Parse("8080"),   // the label port: "ephemeral" and "" are not port numbers and stay
        };
        MetricSet m = Run(new ConnectionsCollector(), Scenario(), new MetricOptions { Filter = filter });

        Assert.Equal(Expected(
            """{protocol="tcp",state="established",direction="outbound",port="443",pid="20",program="client",netns="host"} 1""",
            """{protocol="tcp",state="established",direction="outbound",port="ephemeral",pid="20",program="client",netns="host"} 1""",
            """{protocol="tcp",state="established",direction="inbound",port="2000",pid="",program="",netns="host"} 1""",
            """{protocol="tcp",state="established",direction="outbound",port="5432",pid="30",program="app",netns="4026532200"} 1"""),
            Series(m, "socket_connections"));
    }

    [Fact]
    public void Update_PastTheSeriesLimit_TheRestFoldIntoOverflow_CountedPerMetric()
    {
        var budget = new SeriesBudget(limit: 4);
        MetricSet m = Run(new ConnectionsCollector(), Scenario(), new MetricOptions(), budget);

        // The host's 8 connection series come first: 4 kept, 4 folded, then the namespace's 1 and the 10 queue series.
        List<Sample> connections = m.Named("socket_connections").ToList();
        Assert.Equal(5, connections.Count);
        Assert.Equal(5, Assert.Single(connections, s => s["state"] == MetricWriter.OverflowValue).Value);
        Assert.Equal(9, connections.Sum(s => s.Value));   // nothing lost: every connection is counted, some as overflow
        Assert.Equal(5, budget.Overflow[("socket_connections", SeriesPool.General)]);
        Assert.Equal(10, budget.Overflow[("socket_queued_bytes", SeriesPool.General)]);
    }
}

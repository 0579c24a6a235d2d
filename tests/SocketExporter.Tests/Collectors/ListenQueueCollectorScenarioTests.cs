using SocketExporter.Collectors;
using SocketExporter.Linux.ProcFs;
using SocketExporter.Linux.Snapshot;
using SocketExporter.Tests.Infrastructure;
using static SocketExporter.Tests.Collectors.SnapshotBuilding;

namespace SocketExporter.Tests.Collectors;

/// <summary>socket_listen_queue_* and the per-namespace drop counters on a snapshot of two namespaces, one of them read
/// from /proc/net text (no backlogs there), with an unheld listener and unix listeners.</summary>
[Trait("Category", "Unit")]
public sealed class ListenQueueCollectorScenarioTests
{
    private static ScrapeSnapshot Scenario()
    {
        var b = new SnapshotBuilding();
        b.Host.Add(
            TcpListener("0.0.0.0", 80, 10, queued: 4, backlog: 511),
            TcpListener("::1", 5432, 11, queued: 0, backlog: 200),        // no visible holder
            Tcp(SocketState.Established, "127.0.0.1:80", "127.0.0.1:40001", 12, receiveQueue: 9))   // not a listener
            .Add(UnixListener("/run/app.sock", 20, queued: 1, backlog: 64),
                 UnixListener("/run/old.sock", 21, queuesKnown: false));   // from /proc/net/unix: queues unknown
        b.Host.ListenDrops = new ListenDropCounters(6, 7);
        SnapshotBuilding.Namespace container = b.Netns(4026532500);
        container.Source = SocketSource.ProcNet;   // /proc/PID/net/tcp: accept queue shown, backlog not
        container.Add(TcpListener("0.0.0.0", 8080, 30, queued: 2, backlog: 0));
        b.Process(100, "nginx", null, 10, 12);
        b.Process(101, "nginx", null, 10);
        b.Process(300, "app", null, 20, 21);
        b.Process(400, "java", null, 30);
        return b.Build();
    }

    [Fact]
    public void Update_TwoNamespaces_QueuesOncePerSocketAndCounters()
    {
        MetricSet m = Run(new ListenQueueCollector(), Scenario());

        Assert.Equal(Expected(
            """{protocol="tcp",family="ipv4",address="0.0.0.0",port="80",program="nginx",netns="host"} 4""",
            """{protocol="tcp",family="ipv6",address="::1",port="5432",program="",netns="host"} 0""",
            """{protocol="unix",family="unix",address="/run/app.sock",port="",program="app",netns="host"} 1""",
            """{protocol="tcp",family="ipv4",address="0.0.0.0",port="8080",program="java",netns="4026532500"} 2"""),
            Series(m, "socket_listen_queue_length"));
        Assert.Equal(Expected(
            """{protocol="tcp",family="ipv4",address="0.0.0.0",port="80",program="nginx",netns="host"} 511""",
            """{protocol="tcp",family="ipv6",address="::1",port="5432",program="",netns="host"} 200""",
            """{protocol="unix",family="unix",address="/run/app.sock",port="",program="app",netns="host"} 64"""),
            Series(m, "socket_listen_queue_limit"));
        // Only the namespace whose /proc/net/netstat was read.
        Assert.Equal(Expected("""{netns="host"} 6"""), Series(m, "socket_listen_overflows_total"));
        Assert.Equal(Expected("""{netns="host"} 7"""), Series(m, "socket_listen_drops_total"));
    }

    [Fact]
    public void Update_PortAndNetnsFilters()
    {
        var filter = new SeriesFilter { PortExclude = PortRanges.Parse("5432"), NetnsExclude = new System.Text.RegularExpressions.Regex("^4026532500$") };
        MetricSet m = Run(new ListenQueueCollector(), Scenario(), new MetricOptions { Filter = filter, DroppedLabels = new HashSet<string> { "pid" } });
        Assert.Equal(Expected(
            """{protocol="tcp",family="ipv4",address="0.0.0.0",port="80",program="nginx",netns="host"} 4""",
            """{protocol="unix",family="unix",address="/run/app.sock",port="",program="app",netns="host"} 1"""),
            Series(m, "socket_listen_queue_length"));
    }

    [Fact]
    public void Update_PastTheSeriesLimit_LengthAndLimitFoldApart()
    {
        var budget = new SeriesBudget(limit: 2, unixPathLimit: 0);
        MetricSet m = Run(new ListenQueueCollector(), Scenario(), new MetricOptions(), budget);
        // Host: port 80's length and limit kept, 5432's both folded; unix ones fold in their own pool; the namespace's length folded.
        Assert.Equal(Expected(
            """{protocol="tcp",family="ipv4",address="0.0.0.0",port="80",program="nginx",netns="host"} 4""",
            """{protocol="overflow",family="overflow",address="overflow",port="overflow",program="overflow",netns="overflow"} 3"""),
            Series(m, "socket_listen_queue_length"));
        Assert.Equal(2, budget.Overflow[("socket_listen_queue_length", SeriesPool.General)]);
        Assert.Equal(1, budget.Overflow[("socket_listen_queue_length", SeriesPool.UnixPath)]);
        Assert.Equal(1, budget.Overflow[("socket_listen_queue_limit", SeriesPool.General)]);
    }
}

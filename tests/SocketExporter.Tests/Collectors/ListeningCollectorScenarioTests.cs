using System.Text.RegularExpressions;
using SocketExporter.Collectors;
using SocketExporter.Linux.Snapshot;
using SocketExporter.Tests.Infrastructure;
using static SocketExporter.Tests.Collectors.SnapshotBuilding;

namespace SocketExporter.Tests.Collectors;

/// <summary>socket_listening on one hand-built snapshot: owned, unowned and shared listeners in two namespaces,
/// then the same snapshot through --metrics.drop-pid, the series filters and the series limit.</summary>
[Trait("Category", "Unit")]
public sealed class ListeningCollectorScenarioTests
{
    private const string Other = "4026532100";

    private static ScrapeSnapshot Scenario()
    {
        var b = new SnapshotBuilding();
        b.Host.Add(
            TcpListener("0.0.0.0", 80, 10, queued: 0, backlog: 511),                 // shared by two nginx workers
            TcpListener("127.0.0.1", 9000, 11, queued: 0, backlog: 128),             // no visible holder
            UdpBound("0.0.0.0:53", 12),                                               // a UDP service
            UdpBound("127.0.0.1:40000", 13),                                          // the kernel's ephemeral pick: not a service
            Tcp(SocketState.Established, "127.0.0.1:80", "127.0.0.1:40001", 14))      // a connection: not a listener
            .Add(UnixListener("/run/app.sock", 20));
        b.Netns(4026532100).Add(TcpListener("::", 80, 30, queued: 0, backlog: 4096));   // the same port in a container
        b.Process(100, "nginx", null, 10, 14);
        b.Process(101, "nginx", null, 10);
        b.Process(200, "dnsmasq", null, 12, 13);
        b.Process(300, "app", null, 20);
        b.Process(400, "caddy", null, 30);
        return b.Build();
    }

    [Fact]
    public void Update_OwnedUnownedSharedInTwoNamespaces_OneSeriesPerHolderAndNamespace()
    {
        string[] series = Series(Run(new ListeningCollector(), Scenario()), "socket_listening");

        Assert.Equal(Expected(
            """{protocol="tcp",family="ipv4",address="0.0.0.0",port="80",pid="100",program="nginx",netns="host"} 1""",
            """{protocol="tcp",family="ipv4",address="0.0.0.0",port="80",pid="101",program="nginx",netns="host"} 1""",
            """{protocol="tcp",family="ipv4",address="127.0.0.1",port="9000",pid="",program="",netns="host"} 1""",
            """{protocol="udp",family="ipv4",address="0.0.0.0",port="53",pid="200",program="dnsmasq",netns="host"} 1""",
            """{protocol="unix",family="unix",address="/run/app.sock",port="",pid="300",program="app",netns="host"} 1""",
            $$"""{protocol="tcp",family="ipv6",address="::",port="80",pid="400",program="caddy",netns="{{Other}}"} 1"""), series);
    }

    [Fact]
    public void Update_DropPid_HoldersOfOneProgramSummed()
    {
        var options = new MetricOptions { DroppedLabels = new HashSet<string> { "pid" } };
        string[] series = Series(Run(new ListeningCollector(), Scenario(), options), "socket_listening");

        Assert.Equal(Expected(
            """{protocol="tcp",family="ipv4",address="0.0.0.0",port="80",program="nginx",netns="host"} 2""",
            """{protocol="tcp",family="ipv4",address="127.0.0.1",port="9000",program="",netns="host"} 1""",
            """{protocol="udp",family="ipv4",address="0.0.0.0",port="53",program="dnsmasq",netns="host"} 1""",
            """{protocol="unix",family="unix",address="/run/app.sock",port="",program="app",netns="host"} 1""",
            $$"""{protocol="tcp",family="ipv6",address="::",port="80",program="caddy",netns="{{Other}}"} 1"""), series);
    }

    [Fact]
    public void Update_PortProgramAndNetnsFilters_KeepOnlyWhatTheyAllow()
    {
        var filter = new SeriesFilter
        {
            PortInclude = PortRanges.Parse("53-80"),        // 9000 out; unix listeners have no port and stay
            ProgramExclude = new Regex("^dnsmasq$"),        // program "" (no holder) is never filtered by program
            NetnsInclude = new Regex("^host$"),
        };
        string[] series = Series(Run(new ListeningCollector(), Scenario(), new MetricOptions { Filter = filter }), "socket_listening");

        Assert.Equal(Expected(
            """{protocol="tcp",family="ipv4",address="0.0.0.0",port="80",pid="100",program="nginx",netns="host"} 1""",
            """{protocol="tcp",family="ipv4",address="0.0.0.0",port="80",pid="101",program="nginx",netns="host"} 1""",
            """{protocol="unix",family="unix",address="/run/app.sock",port="",pid="300",program="app",netns="host"} 1"""), series);
    }

    [Fact]
    public void Update_PastTheSeriesLimit_TheRestFoldIntoOneOverflowSeries()
    {
        var budget = new SeriesBudget(limit: 2, unixPathLimit: 100);
        MetricSet m = Run(new ListeningCollector(), Scenario(), new MetricOptions(), budget);

        List<Sample> listening = m.Named("socket_listening").ToList();
        Assert.Equal(4, listening.Count);   // 2 general series, the unix one (a pool of its own), the overflow series
        Assert.Single(listening, s => s["protocol"] == "unix");
        Sample overflow = Assert.Single(listening, s => s["pid"] == MetricWriter.OverflowValue);
        Assert.All(overflow.Labels.Values, v => Assert.Equal(MetricWriter.OverflowValue, v));
        Assert.Equal(3, overflow.Value);    // 5 general series: 2 kept, 3 folded, their values summed
        Assert.Equal(3, budget.Overflow[("socket_listening", SeriesPool.General)]);
    }
}

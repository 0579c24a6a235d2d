using SocketExporter.Collectors;
using SocketExporter.Linux.Snapshot;
using SocketExporter.Tests.Infrastructure;

namespace SocketExporter.Tests.Collectors;

[Trait("Category", "Unit")]
public sealed class ExporterHealthTests
{
    [Fact]
    public void Write_UnheldSocketsInTwoNamespaces_CountsThemFromEachNamespace()
    {
        var b = new SnapshotBuilding();
        b.Process(10, "server", null, 5001);   // holds one of the host's listeners, nothing in namespace 7
        b.Host.Add(
            SnapshotBuilding.TcpListener("127.0.0.1", 80, 5001, queued: 0, backlog: 5),
            SnapshotBuilding.TcpListener("127.0.0.1", 81, 5002, queued: 0, backlog: 5));
        b.Netns(7).Add(
            SnapshotBuilding.TcpListener("10.0.0.1", 80, 7001, queued: 0, backlog: 5),
            SnapshotBuilding.TcpListener("10.0.0.1", 81, 7002, queued: 0, backlog: 5))
            .Add(SnapshotBuilding.UnixListener("/run/seven.sock", 7003));
        ScrapeSnapshot snapshot = b.Build();

        MetricSet m = SnapshotBuilding.Export(f => ExporterHealth.Write(snapshot, f, new BuildInfo("test", "test"), new SeriesBudget(100)));

        var unattributed = m.Named("socket_exporter_unattributed_sockets").ToDictionary(s => (s["protocol"], s["uid"]), s => s.Value);
        Assert.Equal(new Dictionary<(string, string), double> { [("tcp", "0")] = 3, [("udp", "")] = 0, [("unix", "")] = 1 }, unattributed);
        Assert.Equal(["host", "7"], m.Named("socket_exporter_netns_read").Select(s => s["netns"]));
    }
}

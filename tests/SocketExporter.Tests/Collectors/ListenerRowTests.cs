using SocketExporter.Collectors;
using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Tests.Collectors;

[Trait("Category", "Unit")]
public sealed class ListenerRowTests
{
    [Fact]
    public void From_SharedAndUnheldListenersInTwoNamespaces_ARowPerHolderAndOneForNone()
    {
        var b = new SnapshotBuilding();
        b.Process(100, "nginx", 33, null, 5001);
        b.Process(101, "nginx", 33, null, 5001);   // a prefork worker sharing the listener
        SocketEntry unheld = SnapshotBuilding.TcpListener("::1", 9090, 5002, queued: 2, backlog: 128) with { Uid = 65534 };
        b.Netns(7).Add(SnapshotBuilding.TcpListener("10.0.0.1", 80, 7001, queued: 0, backlog: 4096));
        b.Host.Add(SnapshotBuilding.TcpListener("0.0.0.0", 80, 5001, queued: 1, backlog: 511, boundInterface: 2), unheld).Interface(2, "eth0");
        ScrapeSnapshot snapshot = b.Build();

        List<ListenerRow> rows = ListenerRow.From(snapshot);

        Assert.Equal(4, rows.Count);
        Assert.Equal(
        [
            new ListenerRow("tcp", "0.0.0.0%eth0:80", 80, "nginx", "100", "33", 1, 511, "host"),
            new ListenerRow("tcp", "0.0.0.0%eth0:80", 80, "nginx", "101", "33", 1, 511, "host"),
            new ListenerRow("tcp", "[::1]:9090", 9090, "", "", "uid 65534", 2, 128, "host"),
            new ListenerRow("tcp", "10.0.0.1:80", 80, "", "", "uid 0", 0, 4096, "7"),
        ], rows);
    }
}

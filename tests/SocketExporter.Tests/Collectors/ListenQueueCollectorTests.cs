using SocketExporter.Collectors;
using SocketExporter.Linux.Snapshot;
using SocketExporter.Tests.Infrastructure;

namespace SocketExporter.Tests.Collectors;

[Trait("Category", "Unit")]
public sealed class ListenQueueCollectorTests
{
    [Fact]
    public void Update_ListenerHeldByTwoPrograms_CountedOnceUnderBothNamesSorted()
    {
        var b = new SnapshotBuilding();
        b.Process(100, "parentA", null, 5001);
        b.Process(101, "childB", null, 5001);
        ScrapeSnapshot snapshot = b.Build([SnapshotBuilding.TcpListener("127.0.0.1", 8080, 5001, queued: 3, backlog: 10)]);

        MetricSet m = SnapshotBuilding.Run(new ListenQueueCollector(), snapshot);

        Sample length = Assert.Single(m.Named("socket_listen_queue_length"));
        Assert.Equal(("childB,parentA", 3.0), (length["program"], length.Value));
        Assert.Equal(10, Assert.Single(m.Named("socket_listen_queue_limit")).Value);
    }

    [Fact]
    public void Update_PreforkWorkersOfOneProgram_OneSeriesUnderTheProgram()
    {
        var b = new SnapshotBuilding();
        for (int pid = 200; pid < 204; pid++)
            b.Process(pid, "nginx", null, 6001);
        ScrapeSnapshot snapshot = b.Build([SnapshotBuilding.TcpListener("0.0.0.0", 80, 6001, queued: 2, backlog: 511)]);

        Sample length = Assert.Single(SnapshotBuilding.Run(new ListenQueueCollector(), snapshot).Named("socket_listen_queue_length"));
        Assert.Equal(("nginx", 2.0), (length["program"], length.Value));
    }

    [Fact]
    public void Update_SocketHeldByManyPrograms_LabelStopsAtFourNames()
    {
        var b = new SnapshotBuilding();
        foreach ((int pid, string program) in new[] { (1, "f"), (2, "e"), (3, "d"), (4, "c"), (5, "b"), (6, "a") })
            b.Process(pid, program, null, 7001);
        ScrapeSnapshot snapshot = b.Build([SnapshotBuilding.TcpListener("0.0.0.0", 81, 7001, queued: 1, backlog: 5)]);

        Sample length = Assert.Single(SnapshotBuilding.Run(new ListenQueueCollector(), snapshot).Named("socket_listen_queue_length"));
        Assert.Equal(("a,b,c,d,…", 1.0), (length["program"], length.Value));
    }

    [Fact]
    public void Update_ReuseportSocketsOfDifferentPrograms_SumToTheKernelsTotal()
    {
        var b = new SnapshotBuilding();
        b.Process(300, "alpha", null, 8001);
        b.Process(301, "beta", null, 8002);
        ScrapeSnapshot snapshot = b.Build([
            SnapshotBuilding.TcpListener("127.0.0.1", 9000, 8001, queued: 1, backlog: 7),
            SnapshotBuilding.TcpListener("127.0.0.1", 9000, 8002, queued: 2, backlog: 9)]);

        List<Sample> lengths = SnapshotBuilding.Run(new ListenQueueCollector(), snapshot).Named("socket_listen_queue_length").ToList();
        Assert.Equal(2, lengths.Count);
        Assert.Equal(3, lengths.Sum(s => s.Value));
    }

    [Fact]
    public void Update_ListenersBoundToDifferentDevices_ApartWithTheDeviceInTheAddress()
    {
        var b = new SnapshotBuilding();
        b.Process(400, "server", null, 9001, 9002, 9003);
        ScrapeSnapshot snapshot = b.Build([
            SnapshotBuilding.TcpListener("0.0.0.0", 29581, 9001, queued: 0, backlog: 7, boundInterface: 1),
            SnapshotBuilding.TcpListener("0.0.0.0", 29581, 9002, queued: 0, backlog: 7, boundInterface: 2),
            SnapshotBuilding.TcpListener("0.0.0.0", 29581, 9003, queued: 0, backlog: 7, boundInterface: 9)],   // deleted since
            interfaceNames: new Dictionary<uint, string> { [1] = "lo", [2] = "dummy0" });

        var limits = SnapshotBuilding.Run(new ListenQueueCollector(), snapshot).Named("socket_listen_queue_limit")
            .ToDictionary(s => s["address"], s => s.Value);
        Assert.Equal(new Dictionary<string, double> { ["0.0.0.0%lo"] = 7, ["0.0.0.0%dummy0"] = 7, ["0.0.0.0%if9"] = 7 }, limits);
    }
}

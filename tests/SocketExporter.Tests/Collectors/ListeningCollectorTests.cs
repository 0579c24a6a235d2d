using SocketExporter.Collectors;
using SocketExporter.Linux.Snapshot;
using SocketExporter.Tests.Infrastructure;

namespace SocketExporter.Tests.Collectors;

public sealed class ListeningCollectorTests
{
    [Fact]
    public void Update_SameAddressAndPortOnTwoDevices_TwoListenersWithTheirDevices()
    {
        var b = new SnapshotBuilding();
        b.Process(400, "server", null, 9001, 9002, 9003);
        ScrapeSnapshot snapshot = b.Build([
            SnapshotBuilding.TcpListener("0.0.0.0", 29581, 9001, queued: 0, backlog: 7, boundInterface: 1),
            SnapshotBuilding.TcpListener("0.0.0.0", 29581, 9002, queued: 0, backlog: 7, boundInterface: 2),
            SnapshotBuilding.TcpListener("fe80::99", 29582, 9003, queued: 0, backlog: 7, boundInterface: 2)],
            interfaceNames: new Dictionary<uint, string> { [1] = "lo", [2] = "dummy0" });

        var listening = SnapshotBuilding.Run(new ListeningCollector(), snapshot).Named("socket_listening")
            .ToDictionary(s => (s["address"], s["port"]), s => s.Value);
        Assert.Equal(new Dictionary<(string, string), double>
        {
            [("0.0.0.0%lo", "29581")] = 1, [("0.0.0.0%dummy0", "29581")] = 1, [("fe80::99%dummy0", "29582")] = 1,
        }, listening);
    }
}

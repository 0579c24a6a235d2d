using SocketExporter.Collectors;
using SocketExporter.Linux.Snapshot;
using SocketExporter.Tests.Infrastructure;

namespace SocketExporter.Tests.Collectors;

[Trait("Category", "Unit")]
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

    [Fact]
    public void Update_UnixListenersPastTheirLimit_TheUidWithTheMostFoldsFirst()
    {
        var b = new SnapshotBuilding();
        var unix = new List<UnixSocketEntry>();
        for (ulong i = 0; i < 10; i++)   // a flood by uid 65534, first in the kernel's table
        {
            b.Process(1000 + (int)i, "flood", 65534, null, 100 + i);
            unix.Add(new UnixSocketEntry(UnixSocketType.Stream, SocketState.Listen, 100 + i, $"@flood-{i}", 0, 0, 4, true));
        }
        b.Process(1, "systemd", 0, null, 200);
        unix.Add(new UnixSocketEntry(UnixSocketType.Stream, SocketState.Listen, 200, "/run/systemd/notify", 0, 0, 4, true));
        b.Process(2, "postgres", 70, null, 201);
        unix.Add(new UnixSocketEntry(UnixSocketType.Stream, SocketState.Listen, 201, "/run/postgresql/.s.PGSQL.5432", 0, 0, 4, true));
        ScrapeSnapshot snapshot = b.Build([], unix);

        var budget = new SeriesBudget(limit: 100, unixPathLimit: 4);
        List<Sample> listening = SnapshotBuilding.Run(new ListeningCollector(), snapshot, budget).Named("socket_listening").ToList();

        Assert.Contains(listening, s => s["address"] == "/run/systemd/notify" && s["program"] == "systemd");
        Assert.Contains(listening, s => s["address"] == "/run/postgresql/.s.PGSQL.5432" && s["program"] == "postgres");
        Assert.Equal(2, listening.Count(s => s["address"].StartsWith("@flood-")));
        Assert.Equal(8, Assert.Single(listening, s => s["address"] == MetricWriter.OverflowValue).Value);
        Assert.Equal(8, budget.Overflow[("socket_listening", SeriesPool.UnixPath)]);
    }
}

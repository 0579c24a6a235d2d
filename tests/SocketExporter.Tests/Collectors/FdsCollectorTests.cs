using SocketExporter.Collectors;
using SocketExporter.Linux.Snapshot;
using SocketExporter.Tests.Infrastructure;

namespace SocketExporter.Tests.Collectors;

[Trait("Category", "Unit")]
public sealed class FdsCollectorTests
{
    [Fact]
    public void Update_DropPid_FdLimitIsTheSmallestOfTheProgram_NotTheSum()
    {
        var b = new SnapshotBuilding();
        foreach ((int pid, long limit) in new[] { (10, 20_000L), (11, 20_000L), (12, 1_024L), (13, 20_000L) })
            b.Process(pid, "worker", limit);
        ScrapeSnapshot snapshot = b.Build([]);

        MetricSet perProcess = SnapshotBuilding.Run(new FdsCollector(), snapshot);
        MetricSet perProgram = SnapshotBuilding.Run(new FdsCollector(), snapshot, null, "pid");

        Assert.Equal(4, perProcess.Named("socket_process_fd_limit").Count());
        Assert.Equal(1_024, Assert.Single(perProgram.Named("socket_process_fd_limit")).Value);
        Assert.Equal(4, Assert.Single(perProgram.Named("socket_process_fds")).Value);   // counts still add up
    }
}

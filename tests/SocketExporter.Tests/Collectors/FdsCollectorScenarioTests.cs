using SocketExporter.Collectors;
using SocketExporter.Linux.Snapshot;
using SocketExporter.Tests.Infrastructure;
using static SocketExporter.Tests.Collectors.SnapshotBuilding;

namespace SocketExporter.Tests.Collectors;

[Trait("Category", "Unit")]
public sealed class FdsCollectorScenarioTests
{
    private static ScrapeSnapshot Scenario()
    {
        var b = new SnapshotBuilding();
        int db = b.Process(10, "postgres", fdLimit: 1024, 100, 101);   // 1 file + 2 sockets
        b.Fds(db, FdKind.Pipe, 2).Fds(db, FdKind.AnonInode, 1).Device(db, new DeviceNumber(true, 8, 0), "/dev/sda");
        b.Process(11, "postgres", long.MaxValue, 100);         // unlimited, shares the listener
        int hidden = b.Process(12, "hidden", fdLimit: 64, 102);
        b[hidden].FdsReadable = false;
        return b.Build();
    }

    [Fact]
    public void Update_CountsByKindAndLimits_PerProcess()
    {
        MetricSet m = Run(new FdsCollector(), Scenario());
        Assert.Equal(Expected(
            """{pid="10",program="postgres",kind="socket"} 2""",
            """{pid="10",program="postgres",kind="file"} 1""",
            """{pid="10",program="postgres",kind="pipe"} 2""",
            """{pid="10",program="postgres",kind="anon_inode"} 1""",
            """{pid="10",program="postgres",kind="block_device"} 1""",
            """{pid="11",program="postgres",kind="socket"} 1""",
            """{pid="11",program="postgres",kind="file"} 1"""), Series(m, "socket_process_fds"));
        Assert.Equal(Expected(
            """{pid="10",program="postgres"} 1024""",
            """{pid="11",program="postgres"} +Inf"""), Series(m, "socket_process_fd_limit"));
    }

    [Fact]
    public void Update_DropPid_CountsSummed_LimitTheSmallest()
    {
        MetricSet m = Run(new FdsCollector(), Scenario(), new MetricOptions { DroppedLabels = new HashSet<string> { "pid" } });
        Assert.Equal(Expected(
            """{program="postgres",kind="socket"} 3""",
            """{program="postgres",kind="file"} 2""",
            """{program="postgres",kind="pipe"} 2""",
            """{program="postgres",kind="anon_inode"} 1""",
            """{program="postgres",kind="block_device"} 1"""), Series(m, "socket_process_fds"));
        Assert.Equal(Expected("""{program="postgres"} 1024"""), Series(m, "socket_process_fd_limit"));
    }

    [Fact]
    public void Update_DropPidPastTheLimit_AFoldedSeriesWrittenAgainGoesOnFolding()
    {
        var budget = new SeriesBudget(limit: 2);
        MetricSet m = Run(new FdsCollector(), Scenario(), new MetricOptions { DroppedLabels = new HashSet<string> { "pid" } }, budget);
        // socket and file of pid 10 kept; pipe, anon_inode, block_device and the limit folded; pid 11's socket and file
        // add to the kept ones; its limit, the same series as pid 10's once pid is dropped, folds again and counts once.
        Assert.Equal(Expected(
            """{program="postgres",kind="socket"} 3""",
            """{program="postgres",kind="file"} 2""",
            """{program="overflow",kind="overflow"} 4"""), Series(m, "socket_process_fds"));
        Assert.Equal(3, budget.Overflow[("socket_process_fds", SeriesPool.General)]);
        Assert.Equal(1, budget.Overflow[("socket_process_fd_limit", SeriesPool.General)]);
    }
}

using SocketExporter.Collectors;
using SocketExporter.Linux.Snapshot;
using SocketExporter.Tests.Infrastructure;
using static SocketExporter.Tests.Collectors.SnapshotBuilding;

namespace SocketExporter.Tests.Collectors;

[Trait("Category", "Unit")]
public sealed class PathHoldersCollectorTests
{
    private static ScrapeSnapshot Scenario()
    {
        var b = new SnapshotBuilding();
        int data = b.Watch("/mnt/data", 8, 1), backup = b.Watch("/mnt/backup", 8, 2);
        int shell = b.Process(10, "bash", null), db = b.Process(20, "postgres", null), db2 = b.Process(21, "postgres", null);
        b.PathHold(shell, data, PathAccess.Cwd)
         .PathHold(db, data, PathAccess.Fd, 12).PathHold(db, data, PathAccess.Mmap, 3)
         .PathHold(db2, data, PathAccess.Fd, 5)
         .PathHold(db2, backup, PathAccess.Root).PathHold(db2, backup, PathAccess.Exe);
        return b.Build();
    }

    [Fact]
    public void Update_EachAccessOfEachProcessPerWatchedPath()
    {
        Assert.Equal(Expected(
            """{path="/mnt/data",pid="10",program="bash",access="cwd"} 1""",
            """{path="/mnt/data",pid="20",program="postgres",access="fd"} 12""",
            """{path="/mnt/data",pid="20",program="postgres",access="mmap"} 3""",
            """{path="/mnt/data",pid="21",program="postgres",access="fd"} 5""",
            """{path="/mnt/backup",pid="21",program="postgres",access="root"} 1""",
            """{path="/mnt/backup",pid="21",program="postgres",access="exe"} 1"""),
            Series(Run(new PathHoldersCollector(), Scenario()), "socket_path_holders"));
    }

    [Fact]
    public void Update_DropPid_SummedPerProgram_AndFoldsPastTheLimit()
    {
        var options = new MetricOptions { DroppedLabels = new HashSet<string> { "pid" } };
        Assert.Equal(Expected(
            """{path="/mnt/data",program="bash",access="cwd"} 1""",
            """{path="/mnt/data",program="postgres",access="fd"} 17""",
            """{path="/mnt/data",program="postgres",access="mmap"} 3""",
            """{path="/mnt/backup",program="postgres",access="root"} 1""",
            """{path="/mnt/backup",program="postgres",access="exe"} 1"""),
            Series(Run(new PathHoldersCollector(), Scenario(), options), "socket_path_holders"));

        var budget = new SeriesBudget(limit: 2);
        Assert.Equal(Expected(
            """{path="/mnt/data",pid="10",program="bash",access="cwd"} 1""",
            """{path="/mnt/data",pid="20",program="postgres",access="fd"} 12""",
            """{path="overflow",pid="overflow",program="overflow",access="overflow"} 10"""),
            Series(Run(new PathHoldersCollector(), Scenario(), new MetricOptions(), budget), "socket_path_holders"));
    }
}

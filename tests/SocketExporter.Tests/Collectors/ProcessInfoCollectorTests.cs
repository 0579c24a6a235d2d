using SocketExporter.Collectors;
using SocketExporter.Linux.ProcFs;
using SocketExporter.Linux.Snapshot;
using SocketExporter.Tests.Infrastructure;
using static SocketExporter.Tests.Collectors.SnapshotBuilding;

namespace SocketExporter.Tests.Collectors;

[Trait("Category", "Unit")]
public sealed class ProcessInfoCollectorTests
{
    private static ScrapeSnapshot Scenario()
    {
        var b = new SnapshotBuilding();
        b.Process(1, "systemd", 0, null, 10);
        int app = b.Process(500, "app", 1000, null);
        b[app].NetNs = "4026532100";
        b.Cgroup(app, new CgroupInfo("containerd://abc123", "0f1e2d3c-0000-1111-2222-333344445555", ""));
        int web = b.Process(600, "nginx", 33, null);
        b.Cgroup(web, new CgroupInfo("", "", "nginx.service"));
        int hidden = b.Process(700, "secret", 0, null);
        b[hidden].FdsReadable = false;   // fd table denied: nothing to show
        b.Process(601, "nginx", 33, null);
        return b.Build();
    }

    [Fact]
    public void Update_OnePerProcessWithReadableDescriptors_WithItsIdentity()
    {
        Assert.Equal(Expected(
            """{pid="1",program="systemd",user="root",netns="host",container_id="",pod_uid="",systemd_unit=""} 1""",
            """{pid="500",program="app",user="1000",netns="4026532100",container_id="containerd://abc123",pod_uid="0f1e2d3c-0000-1111-2222-333344445555",systemd_unit=""} 1""",
            """{pid="600",program="nginx",user="33",netns="host",container_id="",pod_uid="",systemd_unit="nginx.service"} 1""",
            """{pid="601",program="nginx",user="33",netns="host",container_id="",pod_uid="",systemd_unit=""} 1"""),
            Series(Run(new ProcessInfoCollector(), Scenario()), "socket_process_info"));
    }

    [Fact]
    public void Update_DropPidAndProgramFilter_ProcessesOfOneIdentityCounted()
    {
        var options = new MetricOptions
        {
            DroppedLabels = new HashSet<string> { "pid" },
            Filter = new SeriesFilter { ProgramInclude = new System.Text.RegularExpressions.Regex("^(nginx|app)$") },
        };
        Assert.Equal(Expected(
            """{program="app",user="1000",netns="4026532100",container_id="containerd://abc123",pod_uid="0f1e2d3c-0000-1111-2222-333344445555",systemd_unit=""} 1""",
            """{program="nginx",user="33",netns="host",container_id="",pod_uid="",systemd_unit="nginx.service"} 1""",
            """{program="nginx",user="33",netns="host",container_id="",pod_uid="",systemd_unit=""} 1"""),
            Series(Run(new ProcessInfoCollector(), Scenario(), options), "socket_process_info"));
    }

    [Fact]
    public void Update_PastTheSeriesLimit_Folds()
    {
        var budget = new SeriesBudget(limit: 1);
        Assert.Equal(Expected(
            """{pid="1",program="systemd",user="root",netns="host",container_id="",pod_uid="",systemd_unit=""} 1""",
            """{pid="overflow",program="overflow",user="overflow",netns="overflow",container_id="overflow",pod_uid="overflow",systemd_unit="overflow"} 3"""),
            Series(Run(new ProcessInfoCollector(), Scenario(), new MetricOptions(), budget), "socket_process_info"));
        Assert.Equal(3, budget.Dropped);
    }

    [Fact]
    public void Update_ProcessesUnreadable_FailsInsteadOfExportingNothing()
    {
        var b = new SnapshotBuilding();
        Assert.Throws<CollectorDataUnavailableException>(() => Run(new ProcessInfoCollector(), b.Build(processError: "EACCES")));
    }
}

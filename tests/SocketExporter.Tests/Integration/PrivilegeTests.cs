using SocketExporter.Tests.Infrastructure;

namespace SocketExporter.Tests.Integration;

/// <summary>
/// The exporter as `nobody` against a root process: every socket is still exported (sock_diag needs no
/// privilege) without its pid, and the hidden share is reported; with CAP_SYS_PTRACE + CAP_DAC_READ_SEARCH as
/// ambient capabilities it attributes them again.
/// </summary>
[Trait("Category", "Integration")]
public sealed class PrivilegeTests
{
    private static readonly string[] AsNobody =
        ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"];

    [Fact]
    public void AsNobody_RootListener_ExportedWithoutPidAndHiddenShareCounted()
    {
        using HolderProcess holder = HolderProcess.Start("core");
        using ExporterProcess exporter = ExporterProcess.Start(command: [.. AsNobody, "env", "HOME=/tmp", "dotnet", RepoPaths.ExporterDll]);
        MetricSet metrics = exporter.ScrapeMetrics();

        string port = holder.Int("shared_port").ToString();
        Sample listener = Assert.Single(metrics.Named("socket_listening"), s => s["port"] == port && s["protocol"] == "tcp" && s["netns"] == "host");
        Assert.Equal(("", ""), (listener["pid"], listener["program"]));
        Assert.True(Assert.Single(metrics.Named("socket_exporter_unreadable_processes")).Value >= 2);   // at least the holder and its child
        // The hidden share, by the uid that created the sockets: root's (the holder's) among them.
        Assert.True(metrics.Named("socket_exporter_unattributed_sockets").Where(s => s["protocol"] == "tcp").Sum(s => s.Value) >= 10);
        Assert.True(Assert.Single(metrics.Named("socket_exporter_unattributed_sockets"), s => s["protocol"] == "tcp" && s["uid"] == "0").Value >= 10);
        Assert.Equal(5, Assert.Single(metrics.Named("socket_listen_queue_limit"), s => s["port"] == holder.Int("backlog_port").ToString()).Value);
    }

    [Fact]
    public void AsNobodyWithPtraceAndDacReadSearch_RootListener_Attributed()
    {
        using HolderProcess holder = HolderProcess.Start("core");
        string[] caps = ["--inh-caps=+sys_ptrace,+dac_read_search", "--ambient-caps=+sys_ptrace,+dac_read_search"];
        using ExporterProcess exporter = ExporterProcess.Start(command: [.. AsNobody, .. caps, "env", "HOME=/tmp", "dotnet", RepoPaths.ExporterDll]);
        MetricSet metrics = exporter.ScrapeMetrics();

        string port = holder.Int("shared_port").ToString();
        var pids = metrics.Named("socket_listening").Where(s => s["port"] == port).Select(s => s["pid"]).ToHashSet();
        Assert.Equal(new HashSet<string> { holder.Int("pid").ToString(), holder.Int("child_pid").ToString() }, pids);
    }
}

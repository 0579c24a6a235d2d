using SocketExporter.Tests.Infrastructure;

namespace SocketExporter.Tests.Integration;

/// <summary>Processes the /proc walk finds hard to read (Helpers/walk_holder.py), against ss and lsof.</summary>
[Trait("Category", "Integration")]
public sealed class ProcessWalkTests(ExporterFixture fixture) : IClassFixture<ExporterFixture>, IDisposable
{
    private readonly string _workdir = Directory.CreateTempSubdirectory("socket-exporter-walk-").FullName;

    [Fact]
    public void Walk_DescriptorBelowPathLongerThanPathMax_CostsOnlyThatDescriptor()
    {
        using HolderProcess holder = HolderProcess.StartScript("walk_holder.py", [], "deep", _workdir);
        string pid = holder.Pid.ToString();
        int[] ports = holder.Info.GetProperty("ports").EnumerateArray().Select(p => p.GetInt32()).ToArray();
        Assert.True(holder.Int("path_length") > 4096, $"path only {holder.Int("path_length")} bytes");
        Assert.Equal(3, ports.Length);

        // The reference: ss attributes all three listeners (opened after the unreadable fd) to the holder.
        var ss = Ss.TcpUdpWithProcesses().Where(s => s.Protocol == "tcp" && s.State == "LISTEN" && ports.Contains(s.LocalPort)).ToList();
        Assert.Equal(3, ss.Count);
        Assert.All(ss, s => Assert.Contains(s.Users, u => u.Pid == holder.Pid));

        MetricSet metrics = fixture.Exporter.ScrapeMetrics();
        int lsofFds = LsofDescriptorCount(pid);

        var listening = metrics.Named("socket_listening")
            .Where(s => s["protocol"] == "tcp" && ports.Contains(int.Parse(s["port"]))).ToList();
        Assert.Equal(3, listening.Count);
        Assert.All(listening, s => Assert.Equal((pid, "python3"), (s["pid"], s["program"])));
        Assert.Single(metrics.Named("socket_process_info"), s => s["pid"] == pid);

        var fds = metrics.Named("socket_process_fds").Where(s => s["pid"] == pid).ToDictionary(s => s["kind"], s => (int)s.Value);
        Assert.True(lsofFds >= 4, $"lsof saw only {lsofFds} descriptors");
        Assert.Equal(lsofFds, fds.Values.Sum());   // lsof lists the unreadable one too (TYPE "unknown")
        Assert.Equal(3, fds["socket"]);
        Assert.True(fds.GetValueOrDefault("file") >= 1, "the deep file was not classified as a file by statx");
        Assert.True(Assert.Single(metrics.Named("socket_exporter_unreadable_descriptors"), s => s["reason"] == "name_too_long").Value >= 1);
    }

    [Fact]
    public void ProcessInfo_AfterSetuidAndCgroupMove_FollowsTheProcess()
    {
        // The hierarchy systemd keeps: /sys/fs/cgroup/systemd on cgroup v1 (this machine), the root on v2.
        string root = Directory.Exists("/sys/fs/cgroup/systemd") ? "/sys/fs/cgroup/systemd" : "/sys/fs/cgroup";
        string suffix = Guid.NewGuid().ToString("N")[..12];
        string containerId = Guid.NewGuid().ToString("N") + Guid.NewGuid().ToString("N");   // 64 hex, like a Docker id
        string unit = $"socket-exporter-test-{suffix}.service";
        string unitDir = Path.Combine(root, unit), scopeDir = Path.Combine(unitDir, $"docker-{containerId}.scope");
        string nobody = ToolRunner.Run("id", "-nu", "65534").Trim();
        try
        {
            using (HolderProcess holder = HolderProcess.StartScript("walk_holder.py", [], "identity"))
            {
                string pid = holder.Pid.ToString();
                Sample before = Assert.Single(fixture.Exporter.ScrapeMetrics().Named("socket_process_info"), s => s["pid"] == pid);
                Assert.Equal(("root", "", ""), (before["user"], before["container_id"], before["pod_uid"]));
                Assert.NotEqual(unit, before["systemd_unit"]);

                Directory.CreateDirectory(scopeDir);
                Assert.True(holder.Send($"move {scopeDir}").GetProperty("ok").GetBoolean());
                System.Text.Json.JsonElement moved = holder.Send("setuid 65534");
                Assert.True(moved.GetProperty("ok").GetBoolean(), moved.ToString());
                Assert.Equal(65534, moved.GetProperty("uid").GetInt32());
                Assert.Contains($"/{unit}/docker-{containerId}.scope", moved.GetProperty("cgroup").GetString());

                Sample after = Assert.Single(fixture.Exporter.ScrapeMetrics().Named("socket_process_info"), s => s["pid"] == pid);
                Assert.Equal((nobody, "docker://" + containerId, unit), (after["user"], after["container_id"], after["systemd_unit"]));
            }   // the holder exits here: its cgroup can go
        }
        finally
        {
            if (Directory.Exists(scopeDir)) Directory.Delete(scopeDir);   // rmdir: cgroupfs directories are removed empty
            if (Directory.Exists(unitDir)) Directory.Delete(unitDir);
        }
    }

    [Fact]
    public void Netns_OnlyInOneThread_IsFoundReadAndCounted()
    {
        using HolderProcess holder = HolderProcess.StartScript("walk_holder.py", [], "threadns");
        string pid = holder.Pid.ToString(), netns = holder.Info.GetProperty("netns").GetUInt64().ToString();
        int port = holder.Int("port"), tid = holder.Int("tid");
        Assert.NotEqual(holder.Info.GetProperty("process_netns").GetUInt64(), holder.Info.GetProperty("netns").GetUInt64());

        // The reference: ss inside the thread's namespace sees the listener, held by the holder.
        var ss = Ss.Parse(ToolRunner.Run("nsenter", $"--net=/proc/{pid}/task/{tid}/ns/net", "ss", "-tuanpH"));
        SsSocket theirs = Assert.Single(ss, s => s.Protocol == "tcp" && s.State == "LISTEN" && s.LocalPort == port);
        Assert.Contains(theirs.Users, u => u.Pid == holder.Pid);

        MetricSet metrics = fixture.Exporter.ScrapeMetrics();
        Assert.Single(metrics.Named("socket_exporter_netns_read"), s => s["netns"] == netns);
        Sample ours = Assert.Single(metrics.Named("socket_listening"), s => s["netns"] == netns && s["port"] == port.ToString());
        Assert.Equal(("tcp", theirs.LocalAddress, pid, "python3"), (ours["protocol"], ours["address"], ours["pid"], ours["program"]));
        Assert.True(Assert.Single(metrics.Named("socket_exporter_netns_thread_only")).Value >= 1);
    }

    [Fact]
    public void Netns_HeldOnlyByADescriptor_IsCountedAsUnread()
    {
        using HolderProcess holder = HolderProcess.StartScript("walk_holder.py", [], "heldns");
        string netns = holder.Info.GetProperty("netns").GetUInt64().ToString();
        // The reference: the holder's fd names the namespace (lsns and ls -l /proc/PID/fd show the same net:[N]).
        Assert.Equal($"net:[{netns}]", new FileInfo($"/proc/{holder.Pid}/fd/{holder.Int("nsfd")}").LinkTarget);

        MetricSet metrics = fixture.Exporter.ScrapeMetrics();

        Assert.DoesNotContain(metrics.Named("socket_exporter_netns_read"), s => s["netns"] == netns);   // nothing to enter it through
        Assert.True(Assert.Single(metrics.Named("socket_exporter_netns_unread_held")).Value >= 1);
    }

    // lsof -F f: one 'f' line per descriptor; numeric ones are real fds (cwd, txt, mem… are not).
    private static int LsofDescriptorCount(string pid) =>
        ToolRunner.Run("lsof", ["-n", "-P", "-p", pid, "-F", "f"], TimeSpan.FromSeconds(30), acceptedExitCodes: [0, 1])
            .Split('\n').Count(l => l.Length > 1 && l[0] == 'f' && l[1..].All(char.IsAsciiDigit));

    public void Dispose() => Directory.Delete(_workdir, recursive: true);
}

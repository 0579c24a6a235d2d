using SocketExporter.Linux.ProcFs;
using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Linux.Tests.ProcFs;

[Trait("Category", "Unit")]
public sealed class CgroupParserTests
{
    private const string Id = "4f3c1b2a9d8e7f6051423324151607f8e9dacbbcaddeeff00112233445566778";
    private const string Uid = "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0";
    private static readonly string UidUnderscores = Uid.Replace('-', '_');

    [Theory]
    // Kubernetes, systemd driver, containerd (cgroup v2)
    [InlineData("0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod{U_}.slice/cri-containerd-{ID}.scope\n",
        "containerd://{ID}", "{UID}", "")]
    // Kubernetes, systemd driver, CRI-O, guaranteed QoS (no QoS slice)
    [InlineData("0::/kubepods.slice/kubepods-pod{U_}.slice/crio-{ID}.scope\n", "cri-o://{ID}", "{UID}", "")]
    // Kubernetes, cgroupfs driver (cgroup v1, several hierarchies): the runtime is not in the path
    [InlineData("12:pids:/kubepods/besteffort/pod{UID}/{ID}\n11:memory:/kubepods/besteffort/pod{UID}/{ID}\n1:name=systemd:/kubepods/besteffort/pod{UID}/{ID}\n",
        "{ID}", "{UID}", "")]
    // containerd's own systemd form: slice:prefix:id
    [InlineData("0::/system.slice/containerd.service/kubepods-besteffort-pod{U_}.slice:cri-containerd:{ID}\n",
        "containerd://{ID}", "{UID}", "containerd.service")]
    // Docker, systemd and cgroupfs drivers
    [InlineData("0::/system.slice/docker-{ID}.scope\n", "docker://{ID}", "", "")]
    [InlineData("13:cpuset:/docker/{ID}\n4:memory:/docker/{ID}\n", "docker://{ID}", "", "")]
    // Podman
    [InlineData("0::/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-{ID}.scope/container\n", "podman://{ID}", "", "user@1000.service")]
    // Inside a cgroup namespace: relative paths
    [InlineData("0::/../cri-containerd-{ID}.scope\n", "containerd://{ID}", "", "")]
    [InlineData("0::/\n", "", "", "")]
    // systemd units: the deepest .service
    [InlineData("0::/system.slice/ssh.service\n", "", "", "ssh.service")]
    [InlineData("0::/user.slice/user-0.slice/user@0.service/app.slice/app-dbus.service\n", "", "", "app-dbus.service")]
    // cgroup v1 whose hierarchies disagree (this CI machine's own shape): the memory path is longer than
    // name=systemd's, yet the unit is systemd's; a container id is taken from whichever hierarchy names it.
    [InlineData("9:name=systemd:/system.slice/ssh.service\n4:memory:/process_api/46b8c02ebdff3d4539e1e7c9f8d0240e\n1:cpu:/\n0::/\n",
        "", "", "ssh.service")]
    [InlineData("9:name=systemd:/system.slice/cron.service\n8:pids:/\n4:memory:/docker/{ID}\n0::/\n", "docker://{ID}", "", "cron.service")]
    [InlineData("9:name=systemd:/\n4:memory:/system.slice/not-systemds-view.service/deeper\n", "", "", "")]
    // v1 without name=systemd (a container that mounts only controllers): any hierarchy's unit
    [InlineData("4:memory:/system.slice/app.service\n3:cpu:/\n", "", "", "app.service")]
    public void Parse_RealPathShapes_FindContainerPodAndUnit(string text, string container, string pod, string unit)
    {
        string Fill(string s) => s.Replace("{ID}", Id).Replace("{UID}", Uid).Replace("{U_}", UidUnderscores);
        CgroupInfo info = CgroupParser.Parse(Fill(text));
        Assert.Equal((Fill(container), Fill(pod), unit), (info.ContainerId, info.PodUid, info.SystemdUnit));
    }

    [Fact]
    public void Parse_ConmonScope_IsNotTheContainer()
    {
        CgroupInfo info = CgroupParser.Parse($"0::/machine.slice/crio-conmon-{Id}.scope\n");
        Assert.Equal("", info.ContainerId);
    }

    [Theory]
    [InlineData("")]
    [InlineData("garbage")]
    [InlineData("0:/no-third-field")]
    [InlineData("::::\n\n:")]
    [InlineData("0::relative-without-slash")]
    [InlineData("0::/docker-notahexid.scope")]
    public void Parse_Malformed_GivesNothingAndDoesNotThrow(string text)
    {
        Assert.Equal(CgroupInfo.None, CgroupParser.Parse(text));
    }

    [Fact]
    public void Parse_Fixture4242_FindsSshService()
    {
        string text = File.ReadAllText(Path.Combine(FixtureRoot(), "proc", "4242", "cgroup"));
        Assert.Equal("ssh.service", CgroupParser.Parse(text).SystemdUnit);
    }

    private static string FixtureRoot([System.Runtime.CompilerServices.CallerFilePath] string here = "") =>
        Path.Combine(Path.GetDirectoryName(Path.GetDirectoryName(here))!, "Fixtures");
}

using System.Runtime.Versioning;
using System.Text.Json;
using SocketExporter.Tests.Infrastructure;

namespace SocketExporter.Tests.Packaging;

/// <summary>
/// The image, built by scripts/build-image.sh from the NativeAOT binary the packaging tests publish, run by the Docker
/// engine the way deploy/kubernetes runs it: as the DaemonSet (host pid namespace, the host's /proc read-only at
/// /host/proc, its own network namespace with the port published, read-only root, every capability dropped but
/// SYS_PTRACE and DAC_READ_SEARCH, no new privileges), without those two capabilities, and as the sidecar of another
/// container (sharing its network and pid namespaces). Offline the image's base is made from this machine's files
/// (see the script); where a registry is reachable it is the chiseled runtime-deps image that ships.
/// </summary>
[Trait("Category", "Packaging")]
[SupportedOSPlatform("linux")]
[Collection(NativeBuildCollection.Name)]
public sealed class ContainerTests(PackagingTests.NativeBuild native, ContainerTests.Image image) : IClassFixture<ContainerTests.Image>
{
    private const int MetricsPort = 9966;

    /// <summary>`docker run` options of the DaemonSet's pod (deploy/kubernetes/daemonset.yaml), less the capabilities.</summary>
    private static readonly string[] DaemonSetShape =
    [
        "--pid=host", "-v", "/proc:/host/proc:ro", "--read-only", "--security-opt=no-new-privileges",
        "--cap-drop=ALL", "-p", $"127.0.0.1::{MetricsPort}",
    ];

    private static readonly string[] DaemonSetCapabilities = ["--cap-add=SYS_PTRACE", "--cap-add=DAC_READ_SEARCH"];

    [Fact]
    public void BuildImage_Script_MakesARunnableImageOfTheBinary()
    {
        string tag = image.Tag(native);
        Assert.Contains($"built {tag} on ", image.Output);
        // The image runs the binary it was given (PackagingTests check that binary's revision is this checkout's),
        // and its labels say so.
        string version = ToolRunner.Run(native.Value.Binary, "--version").Trim();
        string revision = System.Text.RegularExpressions.Regex.Match(version, @"\(revision ([0-9a-f]{40}),").Groups[1].Value;
        Assert.NotEmpty(revision);
        Assert.Equal(version, DockerContainer.Docker("run", "--rm", "--network=none", tag, "--version").Trim());
        Assert.Equal(revision, DockerContainer.Docker("inspect", "-f", "{{index .Config.Labels \"org.opencontainers.image.revision\"}}", tag).Trim());
        Assert.Equal("0", DockerContainer.Docker("inspect", "-f", "{{.Config.User}}", tag).Trim());
    }

    [Fact]
    public void DaemonSet_AttributesAHostListenerToItsPidAndProgram()
    {
        string tag = image.Tag(native);
        using HolderProcess holder = HolderProcess.Start("core");   // python3, root, on the host
        string port = holder.Int("shared_port").ToString();
        string pid = holder.Int("pid").ToString();

        using DockerContainer exporter = DockerContainer.Run([.. DaemonSetShape, .. DaemonSetCapabilities], tag, DaemonSetArgs());
        MetricSet metrics = exporter.Scrape(exporter.PublishedPort(MetricsPort));

        (string hostLabel, string ownLabel) = NetnsLabels(exporter.HostPid);

        // The host's namespace, not the container's, read through /host/proc/PID/net: the holder's listener,
        // attributed through its /proc/PID/fd, which the two capabilities let the container's root read.
        Sample listener = Assert.Single(metrics.Named("socket_listening"), s => s["port"] == port && s["pid"] == pid);
        Assert.Equal(("tcp", "127.0.0.1", "python3", hostLabel), (listener["protocol"], listener["address"], listener["program"], listener["netns"]));
        Assert.Equal("procfs", Assert.Single(metrics.Named("socket_exporter_netns_read"), s => s["netns"] == hostLabel)["method"]);
        // Its own namespace (the pod's), read with sock_diag: its listener, under the pid the host gives it.
        Sample own = Assert.Single(metrics.Named("socket_listening"), s => s["port"] == MetricsPort.ToString() && s["netns"] == ownLabel);
        Assert.Equal((exporter.HostPid.ToString(), "socket_exporter"), (own["pid"], own["program"]));
        Assert.Equal("netlink", Assert.Single(metrics.Named("socket_exporter_netns_read"), s => s["netns"] == ownLabel)["method"]);
        Assert.Equal(1, Assert.Single(metrics.Named("socket_exporter_procfs_ok")).Value);
    }

    [Fact]
    public void WithoutTheTwoCapabilities_TheListenerIsUnattributed_AndTheSelfMetricsSaySo()
    {
        string tag = image.Tag(native);
        using HolderProcess holder = HolderProcess.Start("core");   // python3, root, on the host
        string port = holder.Int("shared_port").ToString();
        string pid = holder.Int("pid").ToString();
        string[] holderPorts = ["shared_port", "reuseport_port", "backlog_port", "close_wait_port", "queued_port"];
        bool IsHolders(Sample s) => s["address"] == "127.0.0.1" && holderPorts.Any(p => s["port"] == holder.Int(p).ToString());
        double Unreadable(MetricSet m) => Assert.Single(m.Named("socket_exporter_unreadable_processes")).Value;
        double Unattributed(MetricSet m) => m.Named("socket_exporter_unattributed_sockets").Where(s => s["protocol"] == "tcp" && s["uid"] == "0").Sum(s => s.Value);

        // The same-run reference: the DaemonSet as configured.
        MetricSet configured;
        using (DockerContainer withCapabilities = DockerContainer.Run([.. DaemonSetShape, .. DaemonSetCapabilities], tag, DaemonSetArgs()))
            configured = withCapabilities.Scrape(withCapabilities.PublishedPort(MetricsPort));
        Assert.Contains(configured.Named("socket_listening"), s => s["port"] == port && s["pid"] == pid);
        Assert.True(configured.Named("socket_exporter_netns_read").Count() >= 2);   // the host's and its own

        // 1. The DaemonSet without them: the container's root may not even read which network namespace the host's
        //    processes are in (/proc/PID/ns/net needs the same ptrace access as /proc/PID/fd), so the host's namespace
        //    is not found, and its sockets are not listed at all. What says so: more unreadable processes, and one
        //    namespace read (its own) where the configured DaemonSet reads two.
        MetricSet daemonSet;
        using (DockerContainer exporter = DockerContainer.Run(DaemonSetShape, tag, DaemonSetArgs()))
            daemonSet = exporter.Scrape(exporter.PublishedPort(MetricsPort));
        Assert.DoesNotContain(daemonSet.Named("socket_listening"), s => s["port"] == port);
        Assert.Equal("netlink", Assert.Single(daemonSet.Named("socket_exporter_netns_read"))["method"]);
        Assert.True(Unreadable(daemonSet) > Unreadable(configured),
            $"unreadable processes: {Unreadable(daemonSet)} without the capabilities, {Unreadable(configured)} with");

        // 2. In the host's network namespace (--network=host) without them: sock_diag needs no privilege, so the
        //    listener is served, with pid and program empty (root without SYS_PTRACE may not read the fd links of a
        //    process holding more capabilities than it has). What says so: the unreadable processes again, and the
        //    holder's sockets among the unattributed ones of uid 0.
        MetricSet hostNetwork;
        int metricsPort = ExporterProcess.FreePort();
        using (DockerContainer exporter = DockerContainer.Run(
                   ["--pid=host", "-v", "/proc:/host/proc:ro", "--read-only", "--security-opt=no-new-privileges", "--cap-drop=ALL", "--network=host"],
                   tag, [$"--web.listen-address=127.0.0.1:{metricsPort}", "--path.procfs=/host/proc"]))
            hostNetwork = exporter.Scrape(metricsPort);
        Assert.DoesNotContain(hostNetwork.Named("socket_listening"), s => s["port"] == port && s["pid"] != "");
        Sample listener = Assert.Single(hostNetwork.Named("socket_listening"), s => s["port"] == port && s["address"] == "127.0.0.1");
        Assert.Equal(("", ""), (listener["pid"], listener["program"]));
        double holderListeners = hostNetwork.Named("socket_listening").Where(IsHolders).Sum(s => s.Value);
        Assert.True(holderListeners >= holderPorts.Length, $"{holderListeners} of the holder's listeners served");
        Assert.True(Unreadable(hostNetwork) > Unreadable(configured),
            $"unreadable processes: {Unreadable(hostNetwork)} without the capabilities, {Unreadable(configured)} with");
        Assert.True(Unattributed(hostNetwork) >= holderListeners,
            $"unattributed tcp sockets of uid 0: {Unattributed(hostNetwork)}; the holder's listeners alone: {holderListeners}");
    }

    [Fact]
    public void Sidecar_SharingAnApplicationsNamespaces_AttributesItsListener()
    {
        string tag = image.Tag(native);
        // The application: any process listening in its container, here the image's own binary on :8080 as uid 101
        // (like the sidecar example's nginx), without capabilities. It is pid 1 of its pid namespace. The metrics
        // port is published on it: the sidecar listens in its network namespace.
        using DockerContainer application = DockerContainer.Run(
            ["--user=101:101", "--read-only", "--cap-drop=ALL", "--security-opt=no-new-privileges", "-p", $"127.0.0.1::{MetricsPort}"],
            tag, ["--web.listen-address=:8080", "--path.procfs=/proc"]);
        // The sidecar, as in deploy/kubernetes/sidecar-example.yaml: the pod's namespaces, its own /proc.
        using DockerContainer sidecar = DockerContainer.Run(
            [$"--network=container:{application.Id}", $"--pid=container:{application.Id}", "--read-only",
                "--security-opt=no-new-privileges", "--cap-drop=ALL", .. DaemonSetCapabilities],
            tag, SidecarArgs());
        MetricSet metrics = sidecar.Scrape(application.PublishedPort(MetricsPort));

        // pid 1 is the application, whose netns is then "host" to the exporter (it names pid 1's namespace so).
        Sample listener = Assert.Single(metrics.Named("socket_listening"), s => s["port"] == "8080");
        Assert.Equal(("1", "socket_exporter", "host"), (listener["pid"], listener["program"], listener["netns"]));
        Sample self = Assert.Single(metrics.Named("socket_listening"), s => s["port"] == MetricsPort.ToString());
        Assert.NotEqual("1", self["pid"]);
        Assert.Equal(("socket_exporter", "host"), (self["program"], self["netns"]));
        // Only the pod's processes: the application and the sidecar.
        Assert.Equal(2, metrics.Named("socket_process_info").Select(s => s["pid"]).Distinct().Count());
        Assert.Equal(0, Assert.Single(metrics.Named("socket_exporter_unreadable_processes")).Value);
    }

    // ---------------------------------------------------------------------------------------------------------

    /// <summary>
    /// The netns labels the exporter gives the test's network namespace (the host's, for these tests) and the
    /// container's own: it names pid 1's namespace "host" and the others by inode. Where pid 1 is shielded even from
    /// root (a sandbox's init), neither the test nor the exporter can read its namespace: the exporter then names its
    /// own "host".
    /// </summary>
    private static (string Host, string Own) NetnsLabels(int exporterHostPid)
    {
        static string? Inode(string link)
        {
            try
            {
                string? target = new FileInfo(link).LinkTarget;   // net:[4026531833]
                return target?[(target.IndexOf('[') + 1)..^1];
            }
            catch (UnauthorizedAccessException)
            {
                return null;
            }
        }
        string self = Inode("/proc/self/ns/net")!;
        string own = Inode($"/proc/{exporterHostPid}/ns/net")!;
        Assert.NotEqual(self, own);
        string? pid1 = Inode("/proc/1/ns/net");
        if (pid1 is null)
            return (self, "host");
        return (self == pid1 ? "host" : self, own);
    }

    private static string[] DaemonSetArgs() => ContainerArgs("daemonset.yaml", "DaemonSet");

    private static string[] SidecarArgs() => ContainerArgs("sidecar-example.yaml", "Deployment");

    /// <summary>The socket-exporter container's args in a manifest, read with PyYAML.</summary>
    private static string[] ContainerArgs(string manifest, string kind)
    {
        const string script = """
            import json, sys, yaml
            for d in yaml.safe_load_all(open(sys.argv[1])):
                if d and d["kind"] == sys.argv[2]:
                    for c in d["spec"]["template"]["spec"]["containers"]:
                        if c["name"] == "socket-exporter":
                            print(json.dumps(c["args"]))
            """;
        string json = ToolRunner.Run(ToolRunner.Python, "-c", script, Path.Combine(RepoPaths.Root, "deploy", "kubernetes", manifest), kind);
        return JsonSerializer.Deserialize<string[]>(json)!;
    }

    /// <summary>The image, built once per test class by scripts/build-image.sh and removed afterwards.</summary>
    public sealed class Image : IDisposable
    {
        private readonly string _tag = $"socket-exporter-test:{Guid.NewGuid():N}";
        private readonly Lock _lock = new();
        private bool _built;

        public string Output { get; private set; } = "";

        public string Tag(PackagingTests.NativeBuild native)
        {
            lock (_lock)
            {
                if (!_built)
                {
                    // stdout and stderr together, and the exit code on the last line: a failed build shows all of it.
                    string log = ToolRunner.Run("bash",
                        ["-c", "\"$1\" --binary \"$2\" \"$3\" 2>&1; echo \"exit=$?\"", "build",
                            Path.Combine(RepoPaths.Root, "scripts", "build-image.sh"), native.Value.Binary, _tag],
                        TimeSpan.FromMinutes(10));
                    if (!log.TrimEnd().EndsWith("exit=0", StringComparison.Ordinal))
                        throw new InvalidOperationException($"scripts/build-image.sh failed:\n{log}");
                    Output = log;
                    _built = true;
                }
                return _tag;
            }
        }

        public void Dispose()
        {
            if (_built)
                ToolRunner.Run("docker", ["rmi", "-f", _tag], TimeSpan.FromMinutes(2));
        }
    }
}

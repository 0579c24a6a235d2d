using System.Diagnostics;
using System.Runtime.Versioning;
using System.Text.Json;
using System.Text.RegularExpressions;
using SocketExporter.Configuration;
using SocketExporter.Tests.Infrastructure;

namespace SocketExporter.Tests.Packaging;

/// <summary>
/// What ships: the NativeAOT binary of scripts/publish-aot.sh (scripts/build-image.sh copies it into the image), the Dockerfile, the
/// manifests of deploy/kubernetes and the unit of deploy/systemd. Checks that they agree with each other and with the
/// exporter, then runs the native binary the way each of them runs it: the DaemonSet's uid 0 with two capabilities
/// and a read-only /proc at another path in a network namespace of its own, and the unit's unprivileged user with
/// ambient capabilities. The publish runs once, on first use, and keeps every core busy for about a minute.
/// </summary>
[Trait("Category", "Packaging")]
[SupportedOSPlatform("linux")]
[Collection(NativeBuildCollection.Name)]
public sealed class PackagingTests(PackagingTests.NativeBuild native)
{
    private const string ManifestDirectory = "deploy/kubernetes";
    private const string SystemdUnit = "deploy/systemd/socket_exporter.service";
    private const string HostProc = "/host/proc";

    // ---------------------------------------------------------------------------------------------------------
    // Manifests, Dockerfile, unit: they parse, and they agree with each other and with the exporter.
    // ---------------------------------------------------------------------------------------------------------

    [Fact]
    public void Manifests_EveryYamlFile_ParsesAsYaml()
    {
        string[] files = ManifestFiles();
        Assert.True(files.Length >= 6, $"only {files.Length} manifests in {ManifestDirectory}");
        foreach (string file in files)
        {
            // PyYAML, a parser independent of this repository; a syntax error fails with its message.
            ToolRunner.Run(ToolRunner.Python, "-c", "import yaml,sys; list(yaml.safe_load_all(open(sys.argv[1])))", file);
            List<JsonElement> documents = LoadYaml(file);
            Assert.NotEmpty(documents);
            Assert.All(documents, d => Assert.False(string.IsNullOrEmpty(d.GetProperty("kind").GetString()), file));
        }
        var kinds = files.SelectMany(LoadYaml).Select(d => d.GetProperty("kind").GetString()).ToHashSet();
        Assert.Superset(new HashSet<string?> { "Namespace", "DaemonSet", "Service", "PodMonitor", "Kustomization", "Deployment" }, kinds);
    }

    [Fact]
    public void Kustomization_Resources_ExistAndAreTheNodeWideObjects()
    {
        JsonElement kustomization = Single("kustomization.yaml", "Kustomization");
        string[] resources = Strings(kustomization.GetProperty("resources"));
        Assert.Equal(["namespace.yaml", "daemonset.yaml", "service.yaml", "podmonitor.yaml"], resources);
        Assert.All(resources, r => Assert.True(File.Exists(Path.Combine(RepoPaths.Root, ManifestDirectory, r)), r));
        // Everything of deploy/kubernetes is either listed or the sidecar pattern.
        string[] unlisted = ManifestFiles().Select(Path.GetFileName).Except(resources.Append("kustomization.yaml")).ToArray()!;
        Assert.Equal(["sidecar-example.yaml"], unlisted);
    }

    [Fact]
    public void Namespace_EnforcesPrivilegedPodSecurity()
    {
        JsonElement ns = Single("namespace.yaml", "Namespace");
        Assert.Equal("socket-exporter", ns.GetProperty("metadata").GetProperty("name").GetString());
        Assert.Equal("privileged", ns.GetProperty("metadata").GetProperty("labels").GetProperty("pod-security.kubernetes.io/enforce").GetString());
        Assert.All(ManifestFiles().Where(f => !f.EndsWith("sidecar-example.yaml")).SelectMany(LoadYaml)
                .Where(d => d.GetProperty("kind").GetString() is not ("Namespace" or "Kustomization")),
            d => Assert.Equal("socket-exporter", d.GetProperty("metadata").GetProperty("namespace").GetString()));
    }

    [Fact]
    public void DaemonSet_PodAndContainer_HaveTheDocumentedPrivilegesAndNoMore()
    {
        JsonElement pod = PodSpec(Single("daemonset.yaml", "DaemonSet"));
        Assert.True(pod.GetProperty("hostPID").GetBoolean());
        Assert.False(pod.TryGetProperty("hostNetwork", out _));   // every namespace is read through /host/proc
        Assert.Equal(0, pod.GetProperty("securityContext").GetProperty("runAsUser").GetInt32());
        Assert.False(pod.GetProperty("automountServiceAccountToken").GetBoolean());
        JsonElement toleration = Assert.Single(pod.GetProperty("tolerations").EnumerateArray());
        Assert.Equal("Exists", toleration.GetProperty("operator").GetString());
        Assert.False(toleration.TryGetProperty("key", out _));   // every taint, not one

        JsonElement container = Assert.Single(pod.GetProperty("containers").EnumerateArray());
        JsonElement security = container.GetProperty("securityContext");
        Assert.False(security.GetProperty("privileged").GetBoolean());
        Assert.False(security.GetProperty("allowPrivilegeEscalation").GetBoolean());
        Assert.True(security.GetProperty("readOnlyRootFilesystem").GetBoolean());
        Assert.Equal(["ALL"], Strings(security.GetProperty("capabilities").GetProperty("drop")));
        Assert.Equal(["DAC_READ_SEARCH", "SYS_PTRACE"], Strings(security.GetProperty("capabilities").GetProperty("add")).Order());

        // The host's /proc, read-only at /host/proc, and the flag naming it.
        JsonElement volume = Assert.Single(pod.GetProperty("volumes").EnumerateArray());
        Assert.Equal("/proc", volume.GetProperty("hostPath").GetProperty("path").GetString());
        JsonElement mount = Assert.Single(container.GetProperty("volumeMounts").EnumerateArray());
        Assert.Equal((volume.GetProperty("name").GetString(), HostProc, true),
            (mount.GetProperty("name").GetString(), mount.GetProperty("mountPath").GetString(), mount.GetProperty("readOnly").GetBoolean()));
        Assert.Contains($"--path.procfs={HostProc}", Strings(container.GetProperty("args")));

        Assert.Equal("/-/ready", container.GetProperty("readinessProbe").GetProperty("httpGet").GetProperty("path").GetString());
        Assert.Equal("/-/healthy", container.GetProperty("livenessProbe").GetProperty("httpGet").GetProperty("path").GetString());
        Assert.All(new[] { "readinessProbe", "livenessProbe" },
            p => Assert.Equal("metrics", container.GetProperty(p).GetProperty("httpGet").GetProperty("port").GetString()));
        JsonElement resources = container.GetProperty("resources");
        Assert.All(new[] { "requests", "limits" }, k => Assert.Equal(2, resources.GetProperty(k).EnumerateObject().Count()));
    }

    [Fact]
    public void SidecarExample_SharesTheProcessNamespace_WithoutHostNamespaces()
    {
        JsonElement pod = PodSpec(Single("sidecar-example.yaml", "Deployment"));
        Assert.True(pod.GetProperty("shareProcessNamespace").GetBoolean());
        Assert.False(pod.TryGetProperty("hostPID", out _));
        Assert.False(pod.TryGetProperty("hostNetwork", out _));
        Assert.False(pod.TryGetProperty("volumes", out _));
        JsonElement[] containers = pod.GetProperty("containers").EnumerateArray().ToArray();
        Assert.Equal(2, containers.Length);
        JsonElement exporter = Assert.Single(containers, c => c.GetProperty("name").GetString() == "socket-exporter");
        JsonElement security = exporter.GetProperty("securityContext");
        Assert.Equal(0, security.GetProperty("runAsUser").GetInt32());
        Assert.False(security.GetProperty("allowPrivilegeEscalation").GetBoolean());
        Assert.True(security.GetProperty("readOnlyRootFilesystem").GetBoolean());
        Assert.Equal(["ALL"], Strings(security.GetProperty("capabilities").GetProperty("drop")));
        Assert.Equal(["DAC_READ_SEARCH", "SYS_PTRACE"], Strings(security.GetProperty("capabilities").GetProperty("add")).Order());
        Assert.DoesNotContain(Strings(exporter.GetProperty("args")), a => a.StartsWith("--path.procfs", StringComparison.Ordinal));
    }

    [Fact]
    public void PodMonitor_RelabelsTheNodeNameToInstance_AndSelectsTheDaemonSet()
    {
        JsonElement monitor = Single("podmonitor.yaml", "PodMonitor");
        JsonElement endpoint = Assert.Single(monitor.GetProperty("spec").GetProperty("podMetricsEndpoints").EnumerateArray());
        Assert.Equal("metrics", endpoint.GetProperty("port").GetString());
        JsonElement relabel = Assert.Single(endpoint.GetProperty("relabelings").EnumerateArray());
        Assert.Equal(["__meta_kubernetes_pod_node_name"], Strings(relabel.GetProperty("sourceLabels")));
        Assert.Equal("instance", relabel.GetProperty("targetLabel").GetString());

        JsonElement daemonSet = Single("daemonset.yaml", "DaemonSet");
        JsonElement podLabels = daemonSet.GetProperty("spec").GetProperty("template").GetProperty("metadata").GetProperty("labels");
        foreach (JsonElement selector in new[] { monitor.GetProperty("spec").GetProperty("selector").GetProperty("matchLabels"),
                     Single("service.yaml", "Service").GetProperty("spec").GetProperty("selector") })
        {
            Assert.NotEmpty(selector.EnumerateObject());
            Assert.All(selector.EnumerateObject(), l => Assert.Equal(l.Value.GetString(), podLabels.GetProperty(l.Name).GetString()));
        }
        JsonElement service = Single("service.yaml", "Service").GetProperty("spec");
        Assert.Equal("None", service.GetProperty("clusterIP").GetString());   // headless
    }

    [Fact]
    public void Ports_DockerfileManifestsUnitAndExporterDefault_AreAll9966()
    {
        int port = ExporterOptions.DefaultPort;
        Assert.Equal(9966, port);
        List<DockerInstruction> final = FinalStage();
        Assert.Equal(port.ToString(), Assert.Single(final, i => i.Keyword == "EXPOSE").Arguments);

        foreach (string file in new[] { "daemonset.yaml", "sidecar-example.yaml" })
        {
            JsonElement container = ExporterContainer(file);
            JsonElement containerPort = Assert.Single(container.GetProperty("ports").EnumerateArray());
            Assert.Equal(("metrics", port), (containerPort.GetProperty("name").GetString(), containerPort.GetProperty("containerPort").GetInt32()));
        }
        JsonElement servicePort = Assert.Single(Single("service.yaml", "Service").GetProperty("spec").GetProperty("ports").EnumerateArray());
        Assert.Equal((port, "metrics"), (servicePort.GetProperty("port").GetInt32(), servicePort.GetProperty("targetPort").GetString()));

        // Every listen address any of them passes is :9966.
        var listen = ArgumentSets().SelectMany(s => s.Args).Where(a => a.StartsWith("--web.listen-address=", StringComparison.Ordinal)).ToList();
        Assert.Equal(4, listen.Count);
        Assert.All(listen, a => Assert.Equal($"--web.listen-address=:{port}", a));
    }

    [Fact]
    public void Dockerfile_IsTheBinaryAloneOnTheBase_RunAsUid0()
    {
        List<DockerInstruction> all = ReadDockerfile();
        string binary = AssemblyName();
        Assert.Equal("socket_exporter", binary);

        // One stage: the binary scripts/build-image.sh puts in the build context, copied onto BASE, whose default
        // is what ships.
        DockerInstruction from = Assert.Single(all, i => i.Keyword == "FROM");
        Assert.Equal("${BASE}", from.Arguments);
        Assert.Equal("BASE=mcr.microsoft.com/dotnet/runtime-deps:10.0-noble-chiseled", all[all.IndexOf(from) - 1].Arguments);
        Assert.Equal($"{binary} /{binary}", Assert.Single(all, i => i.Keyword == "COPY").Arguments);
        Assert.Equal([$"/{binary}"], ExecForm(Assert.Single(all, i => i.Keyword == "ENTRYPOINT").Arguments));
        ExecForm(Assert.Single(all, i => i.Keyword == "CMD").Arguments);   // exec form: there is no shell

        // Nothing runs in the image (a chiseled base has no shell), it is uid 0, and it is labelled.
        Assert.DoesNotContain(all, i => i.Keyword == "RUN");
        Assert.Equal("0", Assert.Single(all, i => i.Keyword == "USER").Arguments);
        string labels = string.Join(' ', all.Where(i => i.Keyword == "LABEL").Select(i => i.Arguments));
        foreach (string label in new[] { "title", "description", "version", "revision", "base.name" })
            Assert.Contains($"org.opencontainers.image.{label}=", labels);
        foreach (string script in new[] { "scripts/publish-aot.sh", "scripts/build-image.sh" })
            Assert.True(File.GetUnixFileMode(Path.Combine(RepoPaths.Root, script)).HasFlag(UnixFileMode.UserExecute), $"{script} must be executable");
    }

    [Fact]
    public void Versions_DockerfileImageTagsAndLabels_MatchTheProjectVersion()
    {
        string version = Regex.Match(File.ReadAllText(Path.Combine(RepoPaths.Root, "Directory.Build.props")), "<Version>([^<]+)</Version>").Groups[1].Value;
        Assert.Matches(@"^\d+\.\d+\.\d+", version);
        Assert.Contains(FinalStage(), i => i.Keyword == "ARG" && i.Arguments == $"VERSION={version}");
        foreach (string file in new[] { "daemonset.yaml", "sidecar-example.yaml" })
            Assert.Equal($"socket-exporter:{version}", ExporterContainer(file).GetProperty("image").GetString());
        JsonElement image = Assert.Single(Single("kustomization.yaml", "Kustomization").GetProperty("images").EnumerateArray());
        Assert.Equal(version, image.GetProperty("newTag").GetString());
        Assert.Equal(version, Single("daemonset.yaml", "DaemonSet").GetProperty("metadata").GetProperty("labels").GetProperty("app.kubernetes.io/version").GetString());
    }

    [Fact]
    public void SystemdUnit_GrantsTwoAmbientCapabilities_AndHidesNoProcess()
    {
        List<(string Key, string Value)> unit = ReadUnit();
        string Value(string key) => Assert.Single(unit, e => e.Key == key).Value;
        string[] Caps(string key) => Value(key).Split(' ', StringSplitOptions.RemoveEmptyEntries).Order().ToArray();

        Assert.Equal(["CAP_DAC_READ_SEARCH", "CAP_SYS_PTRACE"], Caps("AmbientCapabilities"));
        Assert.Equal(Caps("AmbientCapabilities"), Caps("CapabilityBoundingSet"));
        Assert.Equal("socket_exporter", Value("User"));
        Assert.Equal("yes", Value("NoNewPrivileges"));
        Assert.Equal("strict", Value("ProtectSystem"));
        Assert.Contains("AF_NETLINK", Value("RestrictAddressFamilies").Split(' '));   // sock_diag
        // Nothing may hide other processes' /proc, /proc/net, or the host's network namespace.
        Assert.DoesNotContain(unit, e => e.Key == "ProtectProc" && e.Value != "default");
        Assert.DoesNotContain(unit, e => e.Key == "ProcSubset" && e.Value != "all");
        Assert.DoesNotContain(unit, e => e.Key is "PrivateNetwork" or "PrivatePIDs" or "PrivateUsers" && e.Value != "no");
        Assert.StartsWith($"/usr/local/bin/{AssemblyName()} ", Value("ExecStart"));
    }

    [Fact]
    public void Flags_OfEveryManifestUnitAndCmd_AreAcceptedAndServe()
    {
        // Control: the dry run below (the flags plus --help, which parses every flag and value before printing
        // help) does reject an unknown flag.
        ToolRunner.Run("dotnet", [RepoPaths.ExporterDll, "--no-such.flag", "--help"], TimeSpan.FromSeconds(60), acceptedExitCodes: [2]);

        var sets = ArgumentSets();
        Assert.Equal(["Dockerfile CMD", "daemonset.yaml", SystemdUnit, "sidecar-example.yaml"], sets.Select(s => s.Source).Order(StringComparer.Ordinal));
        foreach ((string source, string[] args) in sets)
        {
            Assert.NotEmpty(args);
            Assert.All(args, a => Assert.StartsWith("--", a));
            // 1. Exactly these arguments, listen address included: accepted (exit 0), nothing bound.
            ToolRunner.Run("dotnet", [RepoPaths.ExporterDll, .. args, "--help"], TimeSpan.FromSeconds(60));
            // 2. Served: on a free loopback port instead of :9966, with this host's /proc for /host/proc.
            using ExporterProcess exporter = ExporterProcess.Start(ForLocalRun(args));
            MetricSet metrics = exporter.ScrapeMetrics();
            var success = metrics.Named("socket_exporter_collector_success").ToList();
            Assert.True(success.Count >= 5, $"{source}: {success.Count} collectors");
            Assert.All(success, s => Assert.True(s.Value == 1, $"{source}: collector {s["collector"]} failed"));
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // The NativeAOT binary, published by the script, run as each deployment runs it.
    // ---------------------------------------------------------------------------------------------------------

    [Fact]
    public void PublishAot_Script_HasNoWarningsAndTheBinaryAttributesAListener()
    {
        NativeBuild.Published published = native.Value;
        Assert.Contains("Generating native code", published.Output);   // ILC ran: "no warnings" is about something
        string[] warnings = published.Output.Split('\n').Where(l => Regex.IsMatch(l, @"\bwarning\b", RegexOptions.IgnoreCase)).ToArray();
        Assert.Empty(warnings);
        Assert.Equal(AssemblyName(), Path.GetFileName(published.Binary));

        using HolderProcess holder = HolderProcess.Start("core");
        using ExporterProcess exporter = ExporterProcess.Start(command: [published.Binary]);
        MetricSet metrics = exporter.ScrapeMetrics();
        Sample listener = Assert.Single(metrics.Named("socket_listening"),
            s => s["port"] == holder.Int("shared_port").ToString() && s["pid"] == holder.Int("pid").ToString());
        Assert.Equal(("tcp", "127.0.0.1", "python3"), (listener["protocol"], listener["address"], listener["program"]));

        // The commit is the full one of this checkout, in --version and in build_info.
        string head = ToolRunner.Run("git", "-C", RepoPaths.Root, "rev-parse", "HEAD").Trim();
        Assert.Matches("^[0-9a-f]{40}$", head);
        Assert.Equal(head, Assert.Single(metrics.Named("socket_exporter_build_info"))["revision"]);
        Assert.Contains($"(revision {head},", ToolRunner.Run(published.Binary, "--version"));
    }

    [Fact]
    public void DaemonSet_AsConfigured_AttributesEveryUsersListenersInTheHostsNamespace()
    {
        // The DaemonSet's pod, minus the container runtime: its own network namespace (no hostNetwork), uid 0
        // holding only the manifest's capabilities, /proc read-only at another path, the manifest's arguments.
        using HolderProcess holder = HolderProcess.Start("core");           // root
        using UnprivilegedListener other = UnprivilegedListener.Start();   // uid 65534
        // An exporter with all of this test's privileges, scraped just before and just after, for comparison below.
        using ExporterProcess root = ExporterProcess.Start();
        double RootUnreadable() => Assert.Single(root.ScrapeMetrics().Named("socket_exporter_unreadable_processes")).Value;
        double rootBefore = RootUnreadable();
        RunResult run = RunAsDaemonSet(DaemonSetCapabilities());
        double rootAfter = RootUnreadable();

        Assert.Equal("CapEff:\t0000000000080004", run.Status["CapEff"]);   // SYS_PTRACE (19) + DAC_READ_SEARCH (2)
        Assert.Equal("0", run.Status["Uid"].Split('\t')[1]);
        Assert.StartsWith("ro,", run.MountOptions + ",");
        (string hostLabel, string ownLabel) = ExpectedNetnsLabels(run);

        // The host's namespace is not the exporter's: it is read through /proc/PID/net (no SYS_ADMIN for setns).
        Assert.Equal("procfs", Assert.Single(run.Metrics.Named("socket_exporter_netns_read"), s => s["netns"] == hostLabel)["method"]);
        Sample listener = Assert.Single(run.Metrics.Named("socket_listening"),
            s => s["port"] == holder.Int("shared_port").ToString() && s["pid"] == holder.Int("pid").ToString());
        Assert.Equal(("127.0.0.1", "python3", hostLabel), (listener["address"], listener["program"], listener["netns"]));
        // Another user's process: its /proc/PID/fd (mode 0500, owned by uid 65534) takes DAC_READ_SEARCH to list and
        // SYS_PTRACE to read; root without them would leave this listener unattributed.
        Sample others = Assert.Single(run.Metrics.Named("socket_listening"), s => s["port"] == other.Port.ToString() && s["netns"] == hostLabel);
        Assert.Equal((other.Pid.ToString(), "python3", hostLabel), (others["pid"], others["program"], others["netns"]));

        // Descriptors are read through the bind-mounted /proc: the holder's sockets, counted as the kernel lists them.
        string pid = holder.Int("pid").ToString();
        int sockets = SocketDescriptors(holder.Int("pid"));
        Assert.True(sockets >= 15, $"the holder has only {sockets} sockets");
        Assert.Equal(sockets, Assert.Single(run.Metrics.Named("socket_process_fds"), s => s["pid"] == pid && s["kind"] == "socket").Value);

        // Its own namespace, read with sock_diag there: its listener on the manifest's port, attributed to it.
        Sample own = Assert.Single(run.Metrics.Named("socket_listening"), s => s["port"] == ExporterOptions.DefaultPort.ToString() && s["netns"] == ownLabel);
        Assert.Equal((run.ExporterPid.ToString(), "socket_exporter", ownLabel), (own["pid"], own["program"], own["netns"]));
        Assert.Equal("netlink", Assert.Single(run.Metrics.Named("socket_exporter_netns_read"), s => s["netns"] == ownLabel)["method"]);

        // The two capabilities read every process that root reads: no more unreadable processes than for an exporter
        // with all of this test's privileges (not necessarily none: a sandbox may protect its own init from root too).
        // Both are whole-host counts and other processes come and go: compare with root's before and after.
        double daemonSetUnreadable = Assert.Single(run.Metrics.Named("socket_exporter_unreadable_processes")).Value;
        Assert.True(daemonSetUnreadable <= Math.Max(rootBefore, rootAfter),
            $"unreadable with the manifest's capabilities: {daemonSetUnreadable}; as root: {rootBefore} before, {rootAfter} after");
    }

    [Fact]
    public void DaemonSet_WithSysAdminAdded_ReadsTheHostsNamespaceWithSetns()
    {
        // The commented-out SYS_ADMIN of the manifest, added: other namespaces are entered and read with sock_diag,
        // which also gives listener backlogs.
        using HolderProcess holder = HolderProcess.Start("core");
        RunResult run = RunAsDaemonSet([.. DaemonSetCapabilities(), "sys_admin"]);

        Assert.Equal("CapEff:\t0000000000280004", run.Status["CapEff"]);   // + SYS_ADMIN (21)
        (string hostLabel, _) = ExpectedNetnsLabels(run);
        Assert.Equal("setns", Assert.Single(run.Metrics.Named("socket_exporter_netns_read"), s => s["netns"] == hostLabel)["method"]);
        Sample listener = Assert.Single(run.Metrics.Named("socket_listening"),
            s => s["port"] == holder.Int("shared_port").ToString() && s["pid"] == holder.Int("pid").ToString());
        Assert.Equal(("127.0.0.1", "python3", hostLabel), (listener["address"], listener["program"], listener["netns"]));
        Assert.Equal(5, Assert.Single(run.Metrics.Named("socket_listen_queue_limit"),
            s => s["port"] == holder.Int("backlog_port").ToString() && s["netns"] == hostLabel).Value);
    }

    [Fact]
    public void SystemdUnit_UnprivilegedUserWithAmbientCapabilities_AttributesRootsListener()
    {
        // PrivilegeTests shows the same user without capabilities leaves root's listeners unattributed.
        using HolderProcess holder = HolderProcess.Start("core");   // runs as root
        using ExporterProcess exporter = StartAsUnit(UnitCapabilities());

        string status = File.ReadAllText($"/proc/{exporter.Pid}/status");
        Assert.Matches(@"(?m)^Uid:\t65534\t", status);
        Assert.Matches(@"(?m)^CapEff:\t0000000000080004$", status);
        Assert.Matches(@"(?m)^NoNewPrivs:\t1$", status);
        MetricSet metrics = exporter.ScrapeMetrics();
        Sample listener = Assert.Single(metrics.Named("socket_listening"),
            s => s["port"] == holder.Int("shared_port").ToString() && s["pid"] == holder.Int("pid").ToString());
        Assert.Equal("python3", listener["program"]);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Running the native binary as the deployments do.
    // ---------------------------------------------------------------------------------------------------------

    private sealed record RunResult(MetricSet Metrics, int ExporterPid, string ExporterNetns,
        IReadOnlyDictionary<string, string> Status, string MountOptions);

    /// <summary>
    /// In a new network and mount namespace: /proc bind-mounted read-only at a temporary path, the DaemonSet's
    /// arguments with that path as --path.procfs, uid 0 limited to <paramref name="capabilities"/> (bounding and
    /// inheritable sets, as a container runtime leaves them). A server in another network namespace cannot be reached
    /// from here, so curl scrapes it from inside; the port is the manifest's, free in a new namespace.
    /// </summary>
    private RunResult RunAsDaemonSet(IReadOnlyList<string> capabilities)
    {
        string binary = native.Value.Binary;
        string work = Directory.CreateTempSubdirectory("socket-exporter-ds-").FullName;
        try
        {
            string proc = Directory.CreateDirectory(Path.Combine(work, "host-proc")).FullName;
            string[] args = Strings(ExporterContainer("daemonset.yaml").GetProperty("args"))
                .Select(a => a == $"--path.procfs={HostProc}" ? $"--path.procfs={proc}" : a).ToArray();
            string caps = string.Concat(capabilities.Select(c => ",+" + c));
            ToolRunner.Run("unshare", ["--net", "--mount", "--fork", "bash", "-c", NamespaceRunScript, "run-as-daemonset",
                proc, work, ExporterOptions.DefaultPort.ToString(), caps, binary, .. args], TimeSpan.FromMinutes(2));

            return new RunResult(
                MetricSet.Parse(File.ReadAllText(Path.Combine(work, "metrics"))),
                int.Parse(File.ReadAllText(Path.Combine(work, "pid")).Trim()),
                NetnsInode(File.ReadAllText(Path.Combine(work, "netns")).Trim()),
                File.ReadAllLines(Path.Combine(work, "status")).ToDictionary(l => l[..l.IndexOf(':')], l => l),
                File.ReadAllText(Path.Combine(work, "mount")).Trim());
        }
        finally
        {
            Directory.Delete(work, recursive: true);   // the bind mount died with its namespace
        }
    }

    // $1 proc mount point, $2 output directory, $3 port, $4 ",+cap,+cap", then the command.
    private const string NamespaceRunScript = """
        set -euo pipefail
        export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
        proc=$1 out=$2 port=$3 caps=$4
        shift 4
        # Private to this mount namespace (unshare makes propagation private): gone when it exits.
        mount --bind -o ro /proc "$proc"
        ip link set lo up
        setpriv --inh-caps="-all$caps" --bounding-set="-all$caps" -- "$@" 2>"$out/stderr" &
        pid=$!
        echo "$pid" >"$out/pid"
        ready=
        for _ in $(seq 300); do
          if curl -sf -o /dev/null "http://127.0.0.1:$port/-/ready"; then ready=1; break; fi
          kill -0 "$pid" 2>/dev/null || break
          sleep 0.1
        done
        if [ -z "$ready" ]; then
          kill "$pid" 2>/dev/null || true
          echo "exporter not ready on port $port:" >&2
          cat "$out/stderr" >&2
          exit 1
        fi
        grep -E '^(Uid|CapEff|CapBnd|NoNewPrivs):' "/proc/$pid/status" >"$out/status"
        readlink "/proc/$pid/ns/net" >"$out/netns"
        awk -v p="$proc" '$5 == p { print $6 }' /proc/self/mountinfo >"$out/mount"
        curl -sf "http://127.0.0.1:$port/metrics" >"$out/metrics"
        kill "$pid"
        wait "$pid" || true
        """;

    /// <summary>
    /// The netns labels the exporter of <paramref name="run"/> gives the host's namespace (this test's) and its own.
    /// It names pid 1's namespace "host" and the others by inode; where pid 1's link cannot be read (a sandbox that
    /// hides its init even from root, as some CI machines do) its own namespace stands in as "host".
    /// </summary>
    private static (string Host, string Own) ExpectedNetnsLabels(RunResult run)
    {
        string self = NetnsInode(new FileInfo("/proc/self/ns/net").LinkTarget!);
        string? pid1Link;
        try
        {
            pid1Link = new FileInfo("/proc/1/ns/net").LinkTarget;   // null when readlink is refused
        }
        catch (UnauthorizedAccessException)
        {
            pid1Link = null;
        }
        string? pid1 = pid1Link is null ? null : NetnsInode(pid1Link);
        Assert.NotEqual(self, run.ExporterNetns);
        if (pid1 is null)
            return (self, "host");
        Assert.Equal(pid1, self);   // this test runs in the host's network namespace
        return ("host", run.ExporterNetns);
    }

    /// <summary>"net:[4026531833]" → "4026531833".</summary>
    private static string NetnsInode(string link)
    {
        Match m = Regex.Match(link, @"^net:\[(\d+)\]$");
        Assert.True(m.Success, link);
        return m.Groups[1].Value;
    }

    /// <summary>The DaemonSet's added capabilities, as setpriv names them (SYS_PTRACE → sys_ptrace).</summary>
    private static string[] DaemonSetCapabilities() =>
        Strings(ExporterContainer("daemonset.yaml").GetProperty("securityContext").GetProperty("capabilities").GetProperty("add"))
            .Select(c => c.ToLowerInvariant()).ToArray();

    /// <summary>The unit's ambient capabilities, as setpriv names them (CAP_SYS_PTRACE → sys_ptrace).</summary>
    private static string[] UnitCapabilities() =>
        Assert.Single(ReadUnit(), e => e.Key == "AmbientCapabilities").Value.Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(c => c["CAP_".Length..].ToLowerInvariant()).ToArray();

    /// <summary>
    /// The unit's process, minus systemd: user nobody (the unit's own user need not exist here), the given
    /// capabilities as ambient ones (the same bounding set), no_new_privs, and MemoryDenyWriteExecute through
    /// prctl(PR_SET_MDWE), which systemd 254+ uses for it; then the unit's ExecStart arguments.
    /// </summary>
    private ExporterProcess StartAsUnit(IReadOnlyList<string> capabilities)
    {
        List<(string Key, string Value)> unit = ReadUnit();
        Assert.Contains(("MemoryDenyWriteExecute", "yes"), unit);
        Assert.Contains(("NoNewPrivileges", "yes"), unit);
        string caps = string.Concat(capabilities.Select(c => ",+" + c));
        string[] command =
        [
            "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
            $"--inh-caps=-all{caps}", $"--ambient-caps=-all{caps}", $"--bounding-set=-all{caps}", "--no-new-privs", "--",
            ToolRunner.Python, "-c", MdweExec, native.Value.Binary,
        ];
        string[] args = ArgumentSets().Single(s => s.Source == SystemdUnit).Args;
        return ExporterProcess.Start(ForLocalRun(args), command);
    }

    // PR_SET_MDWE = 65, PR_MDWE_REFUSE_EXEC_GAIN = 1 (include/uapi/linux/prctl.h, Linux 6.3); kept across execve.
    private const string MdweExec = """
        import ctypes, os, sys
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(65, 1, 0, 0, 0) != 0:
            sys.exit("prctl(PR_SET_MDWE): " + os.strerror(ctypes.get_errno()))
        os.execv(sys.argv[1], sys.argv[1:])
        """;

    /// <summary>A TCP listener on 127.0.0.1 held by a process of user nobody (65534) until disposed.</summary>
    private sealed class UnprivilegedListener : IDisposable
    {
        private readonly Process _process;

        public int Port { get; }
        public int Pid => _process.Id;   // setpriv execs python3: one pid

        private UnprivilegedListener(Process process, int port) => (_process, Port) = (process, port);

        public static UnprivilegedListener Start()
        {
            var info = new ProcessStartInfo("setpriv")
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                UseShellExecute = false,
            };
            foreach (string a in new[] { "--reuid=65534", "--regid=65534", "--clear-groups", "--", ToolRunner.Python, "-c",
                         "import socket,sys; s=socket.socket(); s.bind(('127.0.0.1',0)); s.listen(); print(s.getsockname()[1], flush=True); sys.stdin.read()" })
                info.ArgumentList.Add(a);
            var process = Process.Start(info) ?? throw new InvalidOperationException("setpriv did not start");
            Task<string?> line = process.StandardOutput.ReadLineAsync();
            if (!line.Wait(TimeSpan.FromSeconds(30)) || !int.TryParse(line.Result, out int port))
            {
                process.Kill();
                throw new InvalidOperationException("the unprivileged listener did not report its port");
            }
            return new UnprivilegedListener(process, port);
        }

        public void Dispose()
        {
            _process.StandardInput.Close();   // it exits when its stdin closes
            if (!_process.WaitForExit(TimeSpan.FromSeconds(10)))
                _process.Kill();
            _process.Dispose();
        }
    }

    private static int SocketDescriptors(int pid) =>
        new DirectoryInfo($"/proc/{pid}/fd").GetFileSystemInfos().Count(f => f.LinkTarget?.StartsWith("socket:[", StringComparison.Ordinal) == true);

    /// <summary>Arguments for a run on this host: the test's own listen address, this host's /proc for /host/proc.</summary>
    private static List<string> ForLocalRun(IEnumerable<string> args) => args
        .Where(a => !a.StartsWith("--web.listen-address", StringComparison.Ordinal))
        .Select(a => a == $"--path.procfs={HostProc}" ? "--path.procfs=/proc" : a)
        .ToList();

    // ---------------------------------------------------------------------------------------------------------
    // Reading the files.
    // ---------------------------------------------------------------------------------------------------------

    private static string[] ManifestFiles() =>
        Directory.GetFiles(Path.Combine(RepoPaths.Root, ManifestDirectory), "*.y*ml").Order(StringComparer.Ordinal).ToArray();

    /// <summary>Every document of a YAML file, converted to JSON by PyYAML (no YAML parser exists for .NET here).</summary>
    private static List<JsonElement> LoadYaml(string path)
    {
        string json = ToolRunner.Run(ToolRunner.Python, "-c",
            "import json,sys,yaml; print(json.dumps([d for d in yaml.safe_load_all(open(sys.argv[1])) if d is not None]))", path);
        return JsonDocument.Parse(json).RootElement.EnumerateArray().Select(e => e.Clone()).ToList();
    }

    private static JsonElement Single(string file, string kind) =>
        Assert.Single(LoadYaml(Path.Combine(RepoPaths.Root, ManifestDirectory, file)), d => d.GetProperty("kind").GetString() == kind);

    private static JsonElement PodSpec(JsonElement workload) => workload.GetProperty("spec").GetProperty("template").GetProperty("spec");

    private static JsonElement ExporterContainer(string file) =>
        Assert.Single(PodSpec(Single(file, file == "daemonset.yaml" ? "DaemonSet" : "Deployment")).GetProperty("containers").EnumerateArray(),
            c => c.GetProperty("name").GetString() == "socket-exporter");

    private static string[] Strings(JsonElement array) => array.EnumerateArray().Select(e => e.GetString()!).ToArray();

    /// <summary>The exporter arguments each deployment passes: both manifests, the Dockerfile's CMD, the unit's ExecStart.</summary>
    private static List<(string Source, string[] Args)> ArgumentSets()
    {
        string execStart = Assert.Single(ReadUnit(), e => e.Key == "ExecStart").Value;
        return
        [
            ("daemonset.yaml", Strings(ExporterContainer("daemonset.yaml").GetProperty("args"))),
            ("sidecar-example.yaml", Strings(ExporterContainer("sidecar-example.yaml").GetProperty("args"))),
            ("Dockerfile CMD", ExecForm(Assert.Single(FinalStage(), i => i.Keyword == "CMD").Arguments)),
            // The binary, then its flags; $SOCKET_EXPORTER_ARGS (from an optional environment file) is the operator's.
            (SystemdUnit, execStart.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Where(a => !a.StartsWith('$')).ToArray()),
        ];
    }

    private sealed record DockerInstruction(string Keyword, string Arguments);

    /// <summary>The Dockerfile's instructions: comments dropped, continuation lines joined.</summary>
    private static List<DockerInstruction> ReadDockerfile()
    {
        var instructions = new List<DockerInstruction>();
        string pending = "";
        foreach (string raw in File.ReadAllLines(Path.Combine(RepoPaths.Root, "Dockerfile")))
        {
            string line = raw.Trim();
            if (line.StartsWith('#') || (line.Length == 0 && pending.Length == 0))
                continue;
            if (line.EndsWith('\\'))
            {
                pending += line[..^1].Trim() + " ";
                continue;
            }
            string text = (pending + line).Trim();
            pending = "";
            if (text.Length == 0)
                continue;
            int space = text.IndexOf(' ');
            instructions.Add(new DockerInstruction(text[..space].ToUpperInvariant(), text[(space + 1)..].Trim()));
        }
        Assert.Equal("", pending);
        return instructions;
    }

    private static List<DockerInstruction> FinalStage()
    {
        List<DockerInstruction> all = ReadDockerfile();
        int from = all.FindLastIndex(i => i.Keyword == "FROM");
        Assert.True(from >= 0, "the Dockerfile has no FROM");
        return all[from..];
    }

    private static string[] ExecForm(string arguments)
    {
        Assert.StartsWith("[", arguments);
        return JsonSerializer.Deserialize<string[]>(arguments)!;
    }

    private static List<(string Key, string Value)> ReadUnit() => File.ReadAllLines(Path.Combine(RepoPaths.Root, SystemdUnit))
        .Select(l => l.Trim())
        .Where(l => l.Length > 0 && l[0] is not ('#' or ';' or '['))
        .Select(l => (l[..l.IndexOf('=')], l[(l.IndexOf('=') + 1)..]))
        .ToList();

    private static string AssemblyName() =>
        Regex.Match(File.ReadAllText(Path.Combine(RepoPaths.Root, "src/SocketExporter/SocketExporter.csproj")), "<AssemblyName>([^<]+)</AssemblyName>").Groups[1].Value;

    /// <summary>
    /// scripts/publish-aot.sh run once for the class, on first use (tests that only read files never wait for it),
    /// into a temporary directory: output, and intermediate bin/obj apart from the tree's own.
    /// </summary>
    public sealed class NativeBuild : IDisposable
    {
        public sealed record Published(string Binary, string Output);

        private readonly string _directory = Directory.CreateTempSubdirectory("socket-exporter-aot-").FullName;
        private readonly Lazy<Published> _published;

        public NativeBuild() => _published = new(Publish);

        public Published Value => _published.Value;

        private Published Publish()
        {
            // Readable by the unprivileged user of the systemd-style tests (temporary directories are 0700).
            File.SetUnixFileMode(_directory, (UnixFileMode)0b111_101_101);
            string output = Path.Combine(_directory, "out");
            // stdout and stderr together, and the exit code on the last line: a failed publish shows all of it.
            string log = ToolRunner.Run("bash",
                ["-c", "ARTIFACTS_PATH=\"$1\" \"$2\" \"$3\" 2>&1; echo \"exit=$?\"", "publish",
                    Path.Combine(_directory, "build"), Path.Combine(RepoPaths.Root, "scripts", "publish-aot.sh"), output],
                TimeSpan.FromMinutes(15));
            string[] lines = log.TrimEnd('\n').Split('\n');
            if (lines[^1] != "exit=0")
                throw new InvalidOperationException($"scripts/publish-aot.sh failed ({lines[^1]}):\n{log}");
            return new Published(Path.Combine(output, "socket_exporter"), log);
        }

        public void Dispose() => Directory.Delete(_directory, recursive: true);
    }
}

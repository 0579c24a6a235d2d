using System.Text.RegularExpressions;
using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Linux.ProcFs;

/// <summary>
/// Parses /proc/[pid]/cgroup (cgroup v2 "0::PATH", v1 "ID:CONTROLLERS:PATH" per hierarchy) into container,
/// pod and systemd unit. Ids are matched anywhere in the path: inside a cgroup namespace paths are relative
/// ("0::/.."). Malformed lines are skipped, never thrown on. Runs when a process is first seen or its cgroup file
/// changes (the identity cache compares the text), so regexes are fine here.
/// </summary>
public static partial class CgroupParser
{
    public static CgroupInfo Parse(string text)
    {
        string? v2 = null, systemd = null;
        var v1 = new List<string>();
        foreach (string line in text.Split('\n'))
        {
            // At most 3 parts: the path itself may contain ':' (containerd's "slice:prefix:id" form).
            string[] parts = line.Split(':', 3);
            if (parts.Length != 3 || parts[2].Length == 0 || parts[2][0] != '/')
                continue;
            if (parts[0] == "0" && parts[1].Length == 0)
                v2 = parts[2];
            else if (parts[1] == SystemdHierarchy)
                systemd = parts[2];
            else
                v1.Add(parts[2]);
        }
        // The v1 hierarchies need not agree: a runtime may move a process in one controller only (memory:/process_api/…
        // beside name=systemd:/system.slice/x.service). So each fact comes from where it is kept: the unit from the
        // hierarchy systemd manages (name=systemd on v1 and hybrid hosts, else the v2 tree), container and pod from the
        // first path that names one, most specific (longest) first.
        var paths = new List<string>(v1.Count + 2);
        if (systemd is not null) paths.Add(systemd);
        if (v2 is not null) paths.Add(v2);
        paths.AddRange(v1);
        if (paths.Count == 0)
            return CgroupInfo.None;
        paths.Sort((a, b) => b.Length.CompareTo(a.Length));
        string container = "", pod = "";
        foreach (string path in paths)
        {
            CgroupInfo found = ParsePath(path);
            if (container.Length == 0) container = found.ContainerId;
            if (pod.Length == 0) pod = found.PodUid;
        }
        string? unitPath = systemd ?? v2;
        string unit = unitPath is not null ? ParsePath(unitPath).SystemdUnit
            : paths.Select(p => ParsePath(p).SystemdUnit).FirstOrDefault(u => u.Length > 0) ?? "";
        return new CgroupInfo(container, pod, unit);
    }

    // The v1 hierarchy systemd itself keeps (mounted at /sys/fs/cgroup/systemd), named in /proc/PID/cgroup as "name=systemd".
    private const string SystemdHierarchy = "name=systemd";

    public static CgroupInfo ParsePath(string path)
    {
        string container = "", pod = "", unit = "";
        Match m = ContainerPattern().Matches(path).LastOrDefault() ?? Match.Empty;
        if (m.Success)
        {
            string id = m.Groups["id"].Value;
            container = m.Groups["runtime"].Value switch
            {
                "cri-containerd" => "containerd://" + id,
                "crio" => "cri-o://" + id,
                "docker" => "docker://" + id,
                "libpod" => "podman://" + id,
                _ => m.Groups["parent"].Value == "docker" ? "docker://" + id : id,   // cgroupfs: runtime not in the path
            };
        }
        Match podMatch = PodPattern().Matches(path).LastOrDefault() ?? Match.Empty;
        if (podMatch.Success)
            pod = podMatch.Groups["uid"].Value.Replace('_', '-');
        foreach (string component in path.Split('/'))
        {
            if (component.EndsWith(".service", StringComparison.Ordinal))
                unit = component;   // the deepest service wins
        }
        return new CgroupInfo(container, pod, unit);
    }

    // systemd driver: cri-containerd-<id>.scope, crio-<id>.scope (not crio-conmon-), docker-<id>.scope, libpod-<id>.scope;
    // containerd's "…slice:cri-containerd:<id>"; cgroupfs driver: /docker/<id>, /kubepods/…/pod<uid>/<id>.
    [GeneratedRegex(@"(?:(?<runtime>cri-containerd|crio|docker|libpod)[-:](?<id>[0-9a-f]{64})(?:\.scope)?(?=/|$)|/(?<parent>[^/]+)/(?<id>[0-9a-f]{64})(?=/|$))",
        RegexOptions.CultureInvariant)]
    private static partial Regex ContainerPattern();

    // kubepods-burstable-pod<uid_with_underscores>.slice, kubepods-pod<uid>.slice, /kubepods/besteffort/pod<uid>/
    [GeneratedRegex(@"pod(?<uid>[0-9a-f]{8}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{12})(?:\.slice)?(?=[/:]|$)",
        RegexOptions.CultureInvariant)]
    private static partial Regex PodPattern();
}

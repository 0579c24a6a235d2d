using SocketExporter.Linux.Reading;
using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Who;

/// <summary>What one question found: rows, and what could not be seen (never a silent empty answer).</summary>
public sealed record WhoAnswer(IReadOnlyList<WhoRow> Rows, IReadOnlyList<string> Notes);

/// <summary>
/// Reads one snapshot shaped by the target and selects the rows that answer it. For a port, the kernel filters the
/// TCP/UDP dumps to that local port, nothing else of a namespace is read, and only the processes holding one of those
/// sockets are recorded (their identity read after their fd table): see <see cref="OptionsFor"/>.
/// </summary>
public static class WhoQuery
{
    public static SnapshotOptions OptionsFor(WhoTarget target, PathProbe? probe, string procfsPath)
    {
        bool ports = target.Kind is WhoTargetKind.Port or WhoTargetKind.Listeners;
        return new SnapshotOptions
        {
            ProcfsPath = procfsPath,
            ClassifyPathDescriptors = !ports,
            ReadFdLimits = false,
            // Rows come only from TCP/UDP sockets and their holders: neither the unix table nor raw sockets, interface
            // names, listen drops or the port range are shown, so they are not read.
            Sockets = ports
                ? new SocketScope(LocalPort: target.Kind == WhoTargetKind.Port ? target.Port : null, Unix: false, Details: false)
                : SocketScope.Everything,
            OnlySocketHolders = ports,
            WatchPaths = target.Kind == WhoTargetKind.Path && probe is { Device: null } ? [target.Name] : [],
        };
    }

    public static WhoAnswer Ask(WhoTarget target, PathProbe? probe, ScrapeSnapshot snapshot)
    {
        var rows = new List<WhoRow>();
        var notes = new List<string>();
        if (snapshot.ProcessError is { } processError)
            notes.Add($"no process could be read: {processError}");
        if (snapshot.SocketsFailed)
            notes.Add("no socket table could be read");
        switch (target.Kind)
        {
            case WhoTargetKind.Listeners:
            case WhoTargetKind.Port:
                SocketRows(snapshot, rows, s => target.Kind == WhoTargetKind.Listeners
                    ? s.IsListening
                    : s.LocalPort == target.Port && (target.Protocol is null || s.Protocol == target.Protocol), _ => true);
                break;
            case WhoTargetKind.Pid:
            case WhoTargetKind.Program:
                var chosen = new HashSet<int>();
                for (int i = 0; i < snapshot.Processes.Count; i++)
                {
                    ProcessEntry p = snapshot.Processes[i];
                    if (target.Kind == WhoTargetKind.Pid ? p.Pid == target.Pid : p.Identity.Program == target.Name)
                    {
                        chosen.Add(i);
                        if (!p.FdsReadable)
                            notes.Add($"{p.Identity.Program} (pid {p.Pid}): its descriptors cannot be read — run as root");
                    }
                }
                SocketRows(snapshot, rows, static _ => true, chosen.Contains);
                DeviceRows(snapshot, rows, d => chosen.Contains(d.ProcessIndex), target.Text);
                break;
            case WhoTargetKind.Path when probe is { Device: { } device }:
                DeviceRows(snapshot, rows, d => d.Device == device, target.Name);
                break;
            case WhoTargetKind.Path:
                PathRows(snapshot, rows, target.Name);
                break;
        }
        Unattributed(target, snapshot, rows, notes);
        return new WhoAnswer(rows, notes);
    }

    private static void SocketRows(ScrapeSnapshot snapshot, List<WhoRow> rows, Func<SocketEntry, bool> socket, Func<int, bool> holder)
    {
        foreach (NetNsSnapshot ns in snapshot.Namespaces)
            foreach (SocketEntry s in ns.Sockets)
            {
                if (!socket(s))
                    continue;
                foreach (int index in snapshot.Owners.HoldersOrUnheld(s.Inode))
                {
                    if (index == SocketOwnerIndex.Unheld ? !holder(-1) : !holder(index))
                        continue;
                    rows.Add(SocketRow(ns, s, index == SocketOwnerIndex.Unheld ? null : snapshot.Processes[index]));
                }
            }
    }

    private static WhoRow SocketRow(NetNsSnapshot ns, in SocketEntry s, ProcessEntry? p) => new()
    {
        Kind = "socket",
        Inode = s.Inode,
        Protocol = s.Protocol == SocketProtocol.Tcp ? "tcp" : "udp",
        Address = s.LocalAddress.Format(s.Family),
        Port = s.LocalPort,
        State = SocketStateNames.LabelValue(s.State),
        RemoteAddress = s.RemotePort == 0 ? "" : s.RemoteAddress.Format(s.Family),
        RemotePort = s.RemotePort,
        ReceiveQueue = s.ReceiveQueue,
        SendQueue = s.SendQueue,
        Pid = p?.Pid,
        Program = p?.Identity.Program ?? "",
        // An unheld socket still has its owner's uid from the kernel.
        User = p?.Identity.User ?? s.Uid.ToString(System.Globalization.CultureInfo.InvariantCulture),
        Netns = ns.Label,
        Container = p?.Identity.Cgroup.ContainerId ?? "",
        Pod = p?.Identity.Cgroup.PodUid ?? "",
        Unit = p?.Identity.Cgroup.SystemdUnit ?? "",
    };

    private static void DeviceRows(ScrapeSnapshot snapshot, List<WhoRow> rows, Func<DeviceHold, bool> match, string asked)
    {
        // One row per (process, device) with its descriptor count.
        var counts = new Dictionary<(int Process, DeviceNumber Device), int>();
        foreach (DeviceHold d in snapshot.DeviceHolds)
            if (match(d))
                counts[(d.ProcessIndex, d.Device)] = counts.GetValueOrDefault((d.ProcessIndex, d.Device)) + 1;
        foreach (((int index, DeviceNumber device), int count) in counts.OrderBy(c => snapshot.Processes[c.Key.Process].Pid))
        {
            ProcessEntry p = snapshot.Processes[index];
            rows.Add(ProcessRow(p, "device", snapshot.DeviceNames.TryGetValue(device, out string? name) ? name : $"{asked} ({device})", count, ""));
        }
    }

    private static void PathRows(ScrapeSnapshot snapshot, List<WhoRow> rows, string path)
    {
        var access = new SortedDictionary<int, (ProcessEntry Process, int Count, SortedSet<char> Marks)>();
        foreach (PathHold h in snapshot.PathHolds)
        {
            ProcessEntry p = snapshot.Processes[h.ProcessIndex];
            if (!access.TryGetValue(p.Pid, out var entry))
                entry = (p, 0, new SortedSet<char>());
            entry.Marks.Add(h.Access switch
            {
                PathAccess.Fd => 'f', PathAccess.Cwd => 'c', PathAccess.Root => 'r', PathAccess.Exe => 'e', _ => 'm',
            });
            access[p.Pid] = (p, entry.Count + h.Count, entry.Marks);
        }
        foreach ((ProcessEntry p, int count, SortedSet<char> marks) in access.Values)
            rows.Add(ProcessRow(p, "path", path, count, string.Concat(marks)));
    }

    private static WhoRow ProcessRow(ProcessEntry p, string kind, string path, int count, string marks) => new()
    {
        Kind = kind,
        Pid = p.Pid,
        Program = p.Identity.Program,
        User = p.Identity.User,
        Netns = p.NetNs,
        Container = p.Identity.Cgroup.ContainerId,
        Pod = p.Identity.Cgroup.PodUid,
        Unit = p.Identity.Cgroup.SystemdUnit,
        Path = path,
        Count = count,
        Access = marks,
    };

    /// <summary>Says what could not be seen: sockets the question matched that no readable process holds while some
    /// processes' descriptors were denied, and holders that may be missing for the same reason.</summary>
    private static void Unattributed(WhoTarget target, ScrapeSnapshot snapshot, List<WhoRow> rows, List<string> notes)
    {
        int hidden = snapshot.UnreadableProcesses;
        if (hidden == 0 && snapshot.SkippedProcesses == 0)
            return;
        // A listener nobody holds is held by someone we could not read; connections may just be time_wait.
        int unheld = rows.Count(r => r.Kind == "socket" && r.Pid is null && r.State != "time_wait");
        string what = target.Kind switch
        {
            WhoTargetKind.Listeners => "",
            WhoTargetKind.Port => $" on :{target.Port}",
            _ => $" of {target.Text}",
        };
        // As root the cure is not privilege (a sandbox, an LSM, a process in another user namespace denied it).
        string hint = Environment.IsPrivilegedProcess ? "" : " — run as root";
        if (unheld > 0)
            notes.Add($"{unheld} socket{(unheld == 1 ? "" : "s")}{what} belong{(unheld == 1 ? "s" : "")} to processes you cannot read{hint}");
        else
            notes.Add($"{hidden} process{(hidden == 1 ? "" : "es")} could not be read (their descriptors were denied): holders among them are not shown{hint}");
    }
}

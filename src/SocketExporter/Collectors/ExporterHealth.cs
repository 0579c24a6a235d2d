using Prometheus;
using SocketExporter.Linux.ProcFs;
using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Collectors;

/// <summary>
/// The exporter's own socket_exporter_* metrics: what it could not see, and how it read what it saw.
/// Always written, whatever collectors are enabled: hidden data must never look like a silent zero.
/// </summary>
public static class ExporterHealth
{
    public static void Write(ScrapeSnapshot snapshot, IMetricFactory metrics, BuildInfo build, SeriesBudget budget)
    {
        metrics.CreateGauge("socket_exporter_build_info", "Version and git commit of the running exporter (always 1).",
            ["version", "revision"]).WithLabels(build.Version, build.Revision).Set(1);

        metrics.CreateGauge("socket_exporter_unreadable_processes",
            "Processes whose descriptor table could not be read (permission denied, at once or part-way): none of their sockets are attributed. " +
            "Grant CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH, or run as root.").Set(snapshot.UnreadableProcesses);
        Gauge skipped = metrics.CreateGauge("socket_exporter_deadline_skipped",
            "What the collection left unread because the scrape deadline (X-Prometheus-Scrape-Timeout-Seconds) was near: " +
            "processes of the walk, or network namespaces. Collectors reading a part cut short report success 0.", ["part"]);
        skipped.WithLabels("processes").Set(snapshot.SkippedProcesses);
        skipped.WithLabels("namespaces").Set(snapshot.SkippedNamespaces);
        metrics.CreateGauge("socket_exporter_failed_processes",
            "Processes whose /proc files were malformed or failed to read with an unexpected error in this scrape.").Set(snapshot.FailedProcesses);

        metrics.CreateGauge("socket_exporter_procfs_ok",
            "1 when --path.procfs is a proc filesystem with processes in it (checked every scrape: statfs type and process " +
            "directories); 0 when it is not: unreadable or without process directories (process collectors then report " +
            "success 0), or a plain directory copy of one (read as given).").Set(snapshot.ProcRoot?.Kind == ProcRootKind.Proc ? 1 : 0);

        Gauge descriptors = metrics.CreateGauge("socket_exporter_unreadable_descriptors",
            "Descriptors whose /proc/PID/fd link could not be read in this scrape, by reason: name_too_long (the open file's " +
            "path is longer than PATH_MAX), truncated (the link filled the read buffer), error (another errno). Each is still " +
            "counted in socket_process_fds by the kind statx found (a socket by its inode), and the rest of its process is read.",
            ["reason"]);
        foreach (FdReadProblem reason in Enum.GetValues<FdReadProblem>())
            descriptors.WithLabels(FdReadProblems.LabelValue(reason)).Set(snapshot.UnreadableDescriptors[reason]);

        Gauge unattributed = metrics.CreateGauge("socket_exporter_unattributed_sockets",
            "Sockets with an inode (held by some descriptor) that no visible process holds — hidden processes, or sockets " +
            "that changed during the scrape — by the uid that created the socket (empty for unix sockets, and for the zero " +
            "written when there are none). Sockets with inode 0 (time_wait, not yet accepted) have no holder by nature and are not counted.",
            ["protocol", "uid"]);
        var hidden = new Dictionary<(string Protocol, string Uid), int>();
        foreach (NetNsSnapshot ns in snapshot.Namespaces)
        {
            IReadOnlyList<SocketEntry> sockets = ns.Sockets;
            SocketHolders holders = snapshot.Owners.HoldersOf(sockets);
            for (int i = 0; i < sockets.Count; i++)
            {
                SocketEntry s = sockets[i];
                if (s.Inode == 0 || holders.IsHeld(i)) continue;
                var key = (Labels.Protocol(s.Protocol), s.Uid.ToString(System.Globalization.CultureInfo.InvariantCulture));
                hidden[key] = hidden.GetValueOrDefault(key) + 1;
            }
        }
        foreach (NetNsSnapshot ns in snapshot.Namespaces)
            foreach (UnixSocketEntry s in ns.UnixSockets)
                if (s.Inode != 0 && !snapshot.Owners.IsHeld(s.Inode))
                    hidden[("unix", "")] = hidden.GetValueOrDefault(("unix", "")) + 1;
        // Only when every process was read: otherwise "unattributed" would be every socket, and the
        // collectors already fail. A protocol with nothing hidden says so with an explicit 0.
        if (snapshot.ProcessError is null && snapshot.SkippedProcesses == 0)
        {
            string[] protocols = [.. (snapshot.SocketsFailed ? Array.Empty<string>() : ["tcp", "udp"]), .. (snapshot.UnixSocketsFailed ? Array.Empty<string>() : ["unix"])];
            foreach (string protocol in protocols)
            {
                bool any = false;
                foreach (((string p, string uid), int count) in hidden)
                {
                    if (p != protocol) continue;
                    unattributed.WithLabels(protocol, uid).Set(count);
                    any = true;
                }
                if (!any)
                    unattributed.WithLabels(protocol, "").Set(0);
            }
        }

        Gauge source = metrics.CreateGauge("socket_exporter_socket_source",
            "1 for the source that served each socket table this scrape: netlink (sock_diag), procfs (/proc/net text: a small " +
            "namespace's TCP/UDP tables, --socket.source=procfs, or a dump that failed) or none (unreadable).",
            ["protocol", "family", "source", "netns"]);
        Gauge malformed = metrics.CreateGauge("socket_exporter_malformed_records",
            "Netlink messages or /proc/net lines that could not be decoded and were skipped, per socket table, in this scrape.",
            ["protocol", "family", "netns"]);
        Gauge namespaces = metrics.CreateGauge("socket_exporter_netns_read",
            "1 per network namespace read this scrape, with the method that served it: netlink (the exporter's own), setns " +
            "(sock_diag inside the namespace, needs CAP_SYS_ADMIN), procfs (/proc/[pid]/net text only: setns disabled or refused), " +
            "none (unreadable, e.g. its last process exited) or skipped " +
            "(not read: the scrape deadline had passed). count() is the number of namespaces.",
            ["netns", "method"]);
        metrics.CreateGauge("socket_exporter_netns_thread_only",
            "Network namespaces that no process is in but one of a process's threads is (unshare(CLONE_NEWNET) or setns in " +
            "one thread): found through /proc/PID/task/TID/ns/net and read through that thread, included in socket_exporter_netns_read.")
            .Set(snapshot.ThreadOnlyNamespaces);
        metrics.CreateGauge("socket_exporter_netns_unread_held",
            "Network namespaces held open through a namespace descriptor (an fd whose link reads net:[N]) that no process or " +
            "thread is in, and no /run/netns name binds: their sockets are not read (no process to enter them through).")
            .Set(snapshot.DescriptorOnlyNamespaces);
        foreach (NetNsSnapshot ns in snapshot.Namespaces)
        {
            namespaces.WithLabels(ns.Label, NetNsSnapshot.MethodLabel(ns.Method)).Set(1);
            foreach (SocketTableStatus t in ns.SocketTables)
            {
                string protocol = Labels.Protocol(t.Protocol), family = Labels.Family(t.Family);
                source.WithLabels(protocol, family, SocketTableStatus.SourceLabel(t.Source), ns.Label).Set(1);
                malformed.WithLabels(protocol, family, ns.Label).Set(t.BadRecords);
            }
        }

        metrics.CreateGauge("socket_exporter_series_dropped",
            "Series left out of this scrape because a series limit (--metrics.max-series, --metrics.max-unix-series) was reached; " +
            "their values are summed into one series per metric whose labels all read \"overflow\".").Set(budget.Dropped);
        Gauge overflow = metrics.CreateGauge("socket_exporter_series_overflow",
            "Series folded into the metric's \"overflow\" series in this scrape, by metric and by the limit that was reached " +
            "(max_series: --metrics.max-series; max_unix_series: --metrics.max-unix-series, series named by a unix socket path).",
            ["metric", "limit"]);
        foreach (((string metric, SeriesPool pool), int count) in budget.Overflow)
            overflow.WithLabels(metric, SeriesBudget.PoolLabel(pool)).Set(count);

        Gauge watch = metrics.CreateGauge("socket_exporter_watch_path_resolved",
            "1 when a --watch.path could be resolved to its filesystem this scrape, 0 when it is missing or unreadable.", ["path"]);
        foreach (WatchedPath w in snapshot.Watches) watch.WithLabels(w.Path).Set(1);
        foreach (ReadFailure failed in snapshot.WatchErrors) watch.WithLabels(failed.What).Set(0);

        Gauge phase = metrics.CreateGauge("socket_exporter_read_duration_seconds",
            "Time spent reading the kernel in this scrape: sockets (sock_diag or /proc/net) and processes (one pass over /proc/[pid]).",
            ["phase"]);
        phase.WithLabels("sockets").Set(snapshot.SocketReadSeconds);
        phase.WithLabels("processes").Set(snapshot.ProcessReadSeconds);
    }
}

public sealed record BuildInfo(string Version, string Revision);

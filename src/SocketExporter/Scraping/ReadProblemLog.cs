using Microsoft.Extensions.Logging;
using SocketExporter.Collectors;
using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Scraping;

/// <summary>
/// Says in the log why something could not be read. A namespace without sock_diag, a table that fell back to
/// /proc/net or could not be read at all, a namespace without its netstat file, a /proc walk that failed: the
/// metrics count these, and the log gives the reason. Each problem is logged once when it appears and once when
/// it clears, not at every scrape, so a lasting problem does not flood the log.
/// </summary>
public sealed class ReadProblemLog(ILogger logger)
{
    /// <summary>New problems logged per scrape; the rest are summed into one line (a node with hundreds of
    /// namespaces that all lost CAP_SYS_ADMIN at once needs one example, not hundreds).</summary>
    public const int MaxNewPerScrape = 10;

    private volatile Dictionary<string, string> _current = new(StringComparer.Ordinal);

    /// <summary>What could not be fully read at the last collection, with why (for the landing page). Never
    /// modified once published: each collection publishes a new dictionary.</summary>
    public IReadOnlyDictionary<string, string> Current => _current;

    /// <summary>Compares this snapshot's problems with the previous one's. Not thread-safe: call under the build lock.</summary>
    public void Observe(ScrapeSnapshot snapshot)
    {
        Dictionary<string, string> now = Problems(snapshot);
        // A namespace skipped at the deadline was not looked at: what was wrong with it still stands.
        foreach (NetNsSnapshot ns in snapshot.Namespaces)
            if (ns.SkippedAtDeadline)
            {
                CarryOver(NamespaceKey(ns.Label));
                CarryOver(SetnsDeniedKey);
            }
        int logged = 0, unlogged = 0;
        foreach ((string what, string reason) in now)
        {
            if (_current.TryGetValue(what, out string? before) && before == reason)
                continue;
            if (logged++ < MaxNewPerScrape)
                logger.LogWarning("read problem with {What}: {Reason}", what, reason);
            else
                unlogged++;
        }
        if (unlogged > 0)
            logger.LogWarning("and {Count} more read problems in this scrape", unlogged);
        int cleared = 0;
        foreach (string what in _current.Keys)
            if (!now.ContainsKey(what) && cleared++ < MaxNewPerScrape)
                logger.LogInformation("read problem with {What} cleared (read again, or gone)", what);
        _current = now;

        void CarryOver(string what)
        {
            if (!now.ContainsKey(what) && _current.TryGetValue(what, out string? reason))
                now[what] = reason;
        }
    }

    // Reasons only, no counts: the line is logged when the set of reasons changes, not whenever a count moves.
    private static string? DescriptorProblem(Linux.Snapshot.FdReadProblems problems)
    {
        var reasons = Enum.GetValues<Linux.Snapshot.FdReadProblem>().Where(r => problems[r] > 0)
            .Select(Linux.Snapshot.FdReadProblems.LabelValue).ToList();
        return reasons.Count == 0 ? null
            : $"readlink failed ({string.Join(", ", reasons)}); classified with statx instead (socket_exporter_unreadable_descriptors)";
    }

    private const string SetnsDeniedKey = "sock_diag in other network namespaces (they are read from /proc/PID/net)";
    private const string SetnsDeniedReason = "setns: EPERM: the exporter lacks CAP_SYS_ADMIN (retried every 5 minutes)";

    private static string NamespaceKey(string label) => $"netns {label}";

    private static readonly ReadFailure NoSource = new("no source could be read");

    /// <summary>What could not be read ("processes", "netns LABEL", sock_diag in other namespaces), with the reasons:
    /// one entry per namespace, so a namespace whose five tables fail for one reason gives one line.</summary>
    public static Dictionary<string, string> Problems(ScrapeSnapshot snapshot)
    {
        var problems = new Dictionary<string, string>(StringComparer.Ordinal);
        if (snapshot.ProcessError is not null)
            problems["processes"] = snapshot.ProcessError.ToString();
        else if (snapshot.ProcRoot?.Problem("the proc root") is { } procRoot)
            problems["processes"] = procRoot;   // a copy that is read anyway: said once, not an error
        if (DescriptorProblem(snapshot.UnreadableDescriptors) is { } descriptors)
            problems["descriptor links"] = descriptors;
        var reasons = new List<string>();
        var tablesByReason = new Dictionary<ReadFailure, List<string>>();
        // setns refused for want of CAP_SYS_ADMIN (the DaemonSet's default) is one reason for all namespaces: one entry,
        // not one per pod that starts. Other reasons (a pid gone between discovery and open) belong to their namespace.
        bool setnsDenied = false;
        foreach (NetNsSnapshot ns in snapshot.Namespaces)
        {
            // Skipped at the deadline is a matter of time, not of access: socket_exporter_deadline_skipped says so.
            if (ns.SkippedAtDeadline)
                continue;
            reasons.Clear();
            tablesByReason.Clear();
            if (ns.SetnsDenied)
                setnsDenied = true;
            else if (ns.MethodError is not null && !ns.SockDiagDisabled)
                reasons.Add(ns.MethodError.ToString());
            foreach (SocketTableStatus t in ns.SocketTables)
            {
                ReadFailure? reason = t.Source switch
                {
                    SocketSource.None => t.Error ?? t.NetlinkError ?? NoSource,
                    SocketSource.ProcNet => t.NetlinkError,   // a fallback only when sock_diag was tried and failed
                    _ => null,
                };
                if (reason is null || reason == ns.MethodError)   // the namespace's own reason (equal values), said once
                    continue;
                string table = $"{Labels.Protocol(t.Protocol)}/{Labels.Family(t.Family)}";
                if (tablesByReason.TryGetValue(reason, out List<string>? tables)) tables.Add(table);
                else tablesByReason[reason] = [table];
            }
            foreach ((ReadFailure reason, List<string> tables) in tablesByReason)
                reasons.Add($"{string.Join(", ", tables)}: {reason}");
            if (ns.ListenDropsError is not null && ns.Method != NetNsMethod.None)
                reasons.Add("netstat counters: " + ns.ListenDropsError);
            if (ns.EphemeralPortsError is not null)
                reasons.Add($"ephemeral port range (assumed {ns.EphemeralPorts}): {ns.EphemeralPortsError}");
            if (reasons.Count > 0)
                problems[NamespaceKey(ns.Label)] = $"read with {NetNsSnapshot.MethodLabel(ns.Method)}; {string.Join("; ", reasons)}";
        }
        if (setnsDenied)
            problems[SetnsDeniedKey] = SetnsDeniedReason;
        return problems;
    }
}

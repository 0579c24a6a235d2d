using System.Globalization;
using System.Text;

namespace SocketExporter.Who;

/// <summary>
/// The table a person reads: one line per listening protocol/address:port with its programs (pids collapsed when
/// many), user, unit or container, netns, accept queue/backlog and connections by state; then connections that no
/// listener row covers (grouped by holder, state and port), then device and path holders.
/// </summary>
public static class WhoPrinter
{
    /// <summary>Pids shown before "…" in a table cell; --output json lists them all.</summary>
    public const int ShownPids = 4;

    public static string Render(WhoTarget target, IReadOnlyList<WhoRow> rows)
    {
        var text = new StringBuilder();
        foreach (WhoTable table in Tables(target, rows))
        {
            if (text.Length > 0) text.AppendLine();
            WriteTable(text, table);
        }
        return text.ToString();
    }

    /// <summary>The answer's groups, in the order they are printed; none for no rows.</summary>
    public static IReadOnlyList<WhoTable> Tables(WhoTarget target, IReadOnlyList<WhoRow> rows)
    {
        var tables = new List<WhoTable>();
        List<WhoRow> listening = rows.Where(r => r.IsListening).ToList();
        var listenerPorts = listening.Select(r => (r.Protocol, r.Netns, r.Port)).ToHashSet();
        List<WhoRow> connections = rows.Where(r => r.Kind == "socket" && !r.IsListening).ToList();

        if (listening.Count > 0)
        {
            // Connections on a listener's port, by state, counted once per socket.
            var states = connections
                .Where(r => target.Kind is WhoTargetKind.Port or WhoTargetKind.Listeners)
                .GroupBy(r => (r.Protocol, r.Netns, r.Port))
                .ToDictionary(g => g.Key, g => States(g));
            var table = new List<IReadOnlyList<string>>();
            foreach (var g in listening.GroupBy(r => (r.Protocol, r.Netns, r.Address, r.Port))
                         .OrderBy(g => g.Key.Port).ThenBy(g => g.Key.Protocol).ThenBy(g => g.Key.Netns == "host" ? "" : g.Key.Netns).ThenBy(g => g.Key.Address))
            {
                var sockets = g.DistinctBy(r => r.Inode).ToList();
                string queue = g.Key.Protocol == "tcp"
                    ? string.Join(' ', sockets.Select(s => $"{s.ReceiveQueue}/{s.SendQueue}"))
                    : "-";
                table.Add([g.Key.Protocol, Endpoint(g.Key.Address, g.Key.Port), Holders(g), Users(g), Units(g), g.Key.Netns, queue,
                    states.GetValueOrDefault((g.Key.Protocol, g.Key.Netns, g.Key.Port)) ?? "-"]);
            }
            tables.Add(new WhoTable(["PROTO", "LOCAL", "PROGRAM", "USER", "UNIT/CONTAINER", "NETNS", "ACCEPTQ/BACKLOG", "CONNECTIONS"], table));
        }

        // Connections no listener line covers: a process's outgoing connections, or a port nobody listens on here.
        var rest = connections.Where(r => target.Kind is WhoTargetKind.Pid or WhoTargetKind.Program
            || !listenerPorts.Contains((r.Protocol, r.Netns, r.Port))).ToList();
        if (rest.Count > 0 && target.Kind != WhoTargetKind.Listeners)
        {
            var table = new List<IReadOnlyList<string>>();
            // Accepted on a port listened on here: grouped by that port; else outgoing: grouped by the remote port (the
            // service), since the local one is ephemeral.
            foreach (var g in rest.GroupBy(r => (r.Protocol, r.Netns,
                             // (RemotePort 0: a fleet series counting accepted connections, whose remote ends it does not name.)
                             Connection: listenerPorts.Contains((r.Protocol, r.Netns, r.Port)) || target.Kind == WhoTargetKind.Port || r.RemotePort == 0
                                 ? $"accepted on :{r.Port}" : $"to :{r.RemotePort}", Holder: r.Program))
                         .OrderBy(g => g.Key.Connection, StringComparer.Ordinal))
                table.Add([g.Key.Protocol, g.Key.Connection, Holders(g), Users(g), g.Key.Netns, States(g)]);
            tables.Add(new WhoTable(["PROTO", "CONNECTION", "PROGRAM", "USER", "NETNS", "STATES"], table));
        }

        List<WhoRow> holds = rows.Where(r => r.Kind != "socket").ToList();
        if (holds.Count > 0)
        {
            bool paths = holds.Any(r => r.Kind == "path");
            var table = new List<IReadOnlyList<string>>();
            foreach (var g in holds.GroupBy(r => (r.Path, r.Program, r.Access)).OrderBy(g => g.Key.Path).ThenBy(g => g.Key.Program))
                table.Add([g.Key.Path, Holders(g), Users(g), Units(g), string.Join(',', g.Select(r => r.Netns).Distinct()),
                    paths ? g.Key.Access : g.Sum(r => r.Count).ToString(CultureInfo.InvariantCulture)]);
            tables.Add(new WhoTable([paths ? "PATH" : "DEVICE", "PROGRAM", "USER", "UNIT/CONTAINER", "NETNS", paths ? "ACCESS" : "FDS"], table));
        }
        return tables;
    }

    /// <summary>"apache2 ×8: 5614 5628 5631 5640 …" per program; "-" for sockets no readable process holds. A program
    /// without pids (fleet mode, an exporter run with --metrics.drop-pid) is named alone.</summary>
    public static string Holders(IEnumerable<WhoRow> rows)
    {
        var parts = new List<string>();
        foreach (var program in rows.GroupBy(r => r.Program).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            if (program.Key == "")
            {
                parts.Add("- (no readable holder)");
                continue;
            }
            List<int> pids = program.Where(r => r.Pid is not null).Select(r => r.Pid!.Value).Distinct().Order().ToList();
            if (pids.Count == 0)
            {
                parts.Add(program.Key);
                continue;
            }
            string shown = string.Join(' ', pids.Take(ShownPids).Select(p => p.ToString(CultureInfo.InvariantCulture)));
            parts.Add(pids.Count == 1 ? $"{program.Key} {shown}" : $"{program.Key} ×{pids.Count}: {shown}{(pids.Count > ShownPids ? " …" : "")}");
        }
        return string.Join(", ", parts);
    }

    private static string Users(IEnumerable<WhoRow> rows) => string.Join(',', rows.Where(r => r.Pid is not null).Select(r => r.User).Distinct().DefaultIfEmpty("-"));

    private static string Units(IEnumerable<WhoRow> rows)
    {
        string[] units = rows.Select(r => r.Container != "" ? r.Container : r.Unit).Where(u => u != "").Distinct().ToArray();
        return units.Length == 0 ? "-" : string.Join(',', units);
    }

    /// <summary>"established 12, time_wait 3", each socket once. A row without an inode is a series of fleet mode
    /// counting <see cref="WhoRow.Count"/> sockets (or one socket of this host's, time_wait, that has none).</summary>
    private static string States(IEnumerable<WhoRow> rows) => string.Join(", ", rows.Select((r, i) => (Row: r, Key: r.Inode == 0 ? ~(ulong)i : r.Inode)).DistinctBy(x => x.Key).Select(x => x.Row)
        .GroupBy(r => r.State).Select(g => (State: g.Key, Sockets: g.Sum(r => r.Inode == 0 && r.Count > 0 ? r.Count : 1)))
        .OrderByDescending(s => s.Sockets).ThenBy(s => s.State, StringComparer.Ordinal).Select(s => $"{s.State} {s.Sockets}"));

    private static string Endpoint(string address, int port) => address.Contains(':') ? $"[{address}]:{port}" : $"{address}:{port}";

    private static void WriteTable(StringBuilder text, WhoTable table)
    {
        int[] widths = new int[table.Header.Count];
        foreach (IReadOnlyList<string> row in table.Rows.Prepend(table.Header))
            for (int i = 0; i < row.Count; i++)
                widths[i] = Math.Max(widths[i], row[i].Length);
        foreach (IReadOnlyList<string> row in table.Rows.Prepend(table.Header))
        {
            var line = new StringBuilder();
            for (int i = 0; i < row.Count; i++)
                line.Append(i == row.Count - 1 ? row[i] : row[i].PadRight(widths[i] + 2));
            text.AppendLine(line.ToString().TrimEnd());
        }
    }
}

using System.Globalization;

namespace SocketExporter.Who.Fleet;

/// <summary>
/// Turns the samples of a <see cref="FleetPlan"/>'s queries into the rows one-host mode prints, each with its
/// `instance`. A series counts sockets or descriptors: its value becomes the row's <see cref="WhoRow.Count"/>. Pure.
/// </summary>
public static class FleetRows
{
    public static IReadOnlyList<WhoRow> Join(IReadOnlyDictionary<FleetQueryKind, IReadOnlyList<PrometheusSample>> results)
    {
        IReadOnlyList<PrometheusSample> Of(FleetQueryKind kind) => results.TryGetValue(kind, out var s) ? s : [];

        // Holder identity by (instance, pid). Two jobs scraping one instance give the same labels twice: first wins.
        var info = new Dictionary<(string, string), PrometheusSample>();
        foreach (PrometheusSample s in Of(FleetQueryKind.ProcessInfo))
            info.TryAdd((s.Label("instance"), s.Label("pid")), s);
        var queue = new Dictionary<(string, string, string, string, string), (long Length, long Limit)>();
        foreach (PrometheusSample s in Of(FleetQueryKind.QueueLength))
            queue[ListenerKey(s)] = (Whole(s.Value), queue.GetValueOrDefault(ListenerKey(s)).Limit);
        foreach (PrometheusSample s in Of(FleetQueryKind.QueueLimit))
            queue[ListenerKey(s)] = (queue.GetValueOrDefault(ListenerKey(s)).Length, Whole(s.Value));

        var rows = new List<WhoRow>();
        foreach (PrometheusSample s in Of(FleetQueryKind.Listening))
        {
            string protocol = s.Label("protocol");
            (long length, long limit) = queue.GetValueOrDefault(ListenerKey(s));
            rows.Add(Holder(s, info) with
            {
                Kind = "socket",
                Protocol = protocol,
                Address = s.Label("address"),
                Port = Port(s.Label("port")),
                // The exporter's rule (README "From netstat to metrics"): TCP LISTEN, UDP unconnected (state close).
                State = protocol == "udp" ? "close" : "listen",
                ReceiveQueue = length,
                SendQueue = limit,
                Count = Whole(s.Value),
            });
        }
        foreach (PrometheusSample s in Of(FleetQueryKind.Connections))
        {
            // `port` is the service's: the local one of an accepted connection, the remote one of an outgoing one.
            bool inbound = s.Label("direction") == "inbound";
            int port = Port(s.Label("port"));
            rows.Add(Holder(s, info) with
            {
                Kind = "socket",
                Protocol = s.Label("protocol"),
                Port = inbound ? port : 0,
                RemotePort = inbound ? 0 : port,
                State = s.Label("state"),
                Count = Whole(s.Value),
            });
        }
        foreach (PrometheusSample s in Of(FleetQueryKind.Devices))
            rows.Add(Holder(s, info) with { Kind = "device", Path = s.Label("device"), Count = Whole(s.Value) });
        // One row per holder of a path, its accesses as fuser -v marks them (one-host mode's rows).
        foreach (var holder in Of(FleetQueryKind.Paths).GroupBy(s => (Instance: s.Label("instance"), Path: s.Label("path"), Pid: s.Label("pid"), Program: s.Label("program"))))
        {
            string marks = string.Concat(holder.Select(s => AccessMark(s.Label("access"))).Distinct().Order());
            rows.Add(Holder(holder.First(), info) with
            {
                Kind = "path",
                Path = holder.Key.Path,
                Count = holder.Sum(s => Whole(s.Value)),
                Access = marks,
            });
        }
        // Two jobs scraping one instance report each series twice.
        return rows.Distinct().OrderBy(r => r.Instance, StringComparer.Ordinal).ToList();
    }

    private static (string, string, string, string, string) ListenerKey(PrometheusSample s) =>
        (s.Label("instance"), s.Label("protocol"), s.Label("address"), s.Label("port"), s.Label("netns"));

    /// <summary>The row's holder: pid and program from the series, the rest from its socket_process_info.</summary>
    private static WhoRow Holder(PrometheusSample s, Dictionary<(string, string), PrometheusSample> info)
    {
        string pid = s.Label("pid");
        PrometheusSample? who = pid == "" ? null : info.GetValueOrDefault((s.Label("instance"), pid));
        return new WhoRow
        {
            Kind = "",
            Instance = s.Label("instance"),
            Pid = int.TryParse(pid, NumberStyles.None, CultureInfo.InvariantCulture, out int p) ? p : null,
            Program = s.Label("program"),
            // Series without a netns label (devices, paths) take the holder's.
            Netns = s.Labels.TryGetValue("netns", out string? netns) ? netns : who?.Label("netns") ?? "",
            User = who?.Label("user") ?? "",
            Container = who?.Label("container_id") ?? "",
            Pod = who?.Label("pod_uid") ?? "",
            Unit = who?.Label("systemd_unit") ?? "",
        };
    }

    private static int Port(string label) =>
        int.TryParse(label, NumberStyles.None, CultureInfo.InvariantCulture, out int port) ? port : 0;

    /// <summary>Counts are whole numbers; NaN or ±Inf from a broken series count as 0 rather than overflow.</summary>
    private static int Whole(double value) => double.IsFinite(value) ? (int)Math.Clamp(Math.Round(value), int.MinValue, int.MaxValue) : 0;

    private static char AccessMark(string access) => access switch
    {
        "fd" => 'f', "cwd" => 'c', "root" => 'r', "exe" => 'e', "mmap" => 'm', _ => '?',
    };
}

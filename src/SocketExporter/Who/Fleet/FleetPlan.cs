using System.Globalization;
using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Who.Fleet;

/// <summary>
/// The instant queries that answer a target across the fleet, over the series SocketExporter exports (README,
/// "Metrics"). Each query selects only the target's series, so the answer is as small as the question; holders'
/// identity comes from one more query, socket_process_info restricted to those holders, joined here rather than in
/// PromQL so that a holder without an info series (an exporter run with --no-collector, or a pid gone between two
/// scrapes) still shows. Pure: no I/O.
/// </summary>
public static class FleetPlan
{
    /// <summary>
    /// Which targets fleet mode answers. A port, a program name and no target select on labels every host has alike.
    /// A pid names a process on one host only, so it is refused. A path cannot be stat'ed on the hosts from here: it is
    /// matched as written against socket_device_fds's `device` (the host's /dev path) and socket_path_holders's
    /// `path` (an exporter's --watch.path), both asked for.
    /// </summary>
    public static bool TryBuild(WhoTarget target, out IReadOnlyList<FleetQuery> queries, out string error)
    {
        var list = new List<FleetQuery>();
        queries = list;
        error = "";
        (string, string, string)[] protocol = target.Protocol switch
        {
            SocketProtocol.Tcp => [("protocol", "=", "tcp")],
            SocketProtocol.Udp => [("protocol", "=", "udp")],
            _ => [("protocol", "=~", "tcp|udp")],
        };
        switch (target.Kind)
        {
            case WhoTargetKind.Listeners:
                Listeners(list, protocol);
                break;
            case WhoTargetKind.Port:
                var port = ("port", "=", target.Port.ToString(CultureInfo.InvariantCulture));
                Listeners(list, [port, .. protocol]);
                // One-host mode's `:81` is the sockets whose local port it is: the listeners and the connections
                // accepted on them, which the exporter counts as inbound on that port.
                list.Add(new(FleetQueryKind.Connections, PromQl.Selector("socket_connections", [port, .. protocol, ("direction", "=", "inbound")])));
                break;
            case WhoTargetKind.Program:
                var program = ("program", "=", target.Name);
                Listeners(list, [program, ("protocol", "=~", "tcp|udp")]);
                list.Add(new(FleetQueryKind.Connections, PromQl.Selector("socket_connections", program)));
                list.Add(new(FleetQueryKind.Devices, PromQl.Selector("socket_device_fds", program)));
                break;
            case WhoTargetKind.Path:
                list.Add(new(FleetQueryKind.Devices, PromQl.Selector("socket_device_fds", ("device", "=", target.Name))));
                list.Add(new(FleetQueryKind.Paths, PromQl.Selector("socket_path_holders", ("path", "=", target.Name))));
                break;
            default:
                error = $"\"{target.Text}\" names a process on one host; in fleet mode ask by port, program name, device or path";
                return false;
        }
        string holders = string.Join(" or ", list.Where(q => q.Kind is not (FleetQueryKind.QueueLength or FleetQueryKind.QueueLimit)).Select(q => q.Expression));
        list.Add(new(FleetQueryKind.ProcessInfo, $"socket_process_info and on (instance, pid) ({holders})"));
        return true;
    }

    /// <summary>The series an empty answer is checked against: if one is absent everywhere, the answer is "is
    /// SocketExporter scraped?", not "nothing holds it". For a path, either metric may answer.</summary>
    public static IReadOnlyList<string> RequiredMetrics(WhoTarget target) => target.Kind == WhoTargetKind.Path
        ? ["socket_device_fds", "socket_path_holders"]
        : ["socket_listening"];

    /// <summary>Which of <paramref name="metrics"/> have any series at all: one sample per name present.</summary>
    public static string PresenceQuery(IReadOnlyList<string> metrics) =>
        $"count by (__name__) ({{__name__=~{PromQl.Quote(string.Join('|', metrics))}}})";

    private static void Listeners(List<FleetQuery> list, (string, string, string)[] matchers)
    {
        list.Add(new(FleetQueryKind.Listening, PromQl.Selector("socket_listening", matchers)));
        // The queue gauges have no pid: one series per address:port and program, summed to the kernel's number.
        list.Add(new(FleetQueryKind.QueueLength, $"sum without (program) ({PromQl.Selector("socket_listen_queue_length", matchers)})"));
        list.Add(new(FleetQueryKind.QueueLimit, $"sum without (program) ({PromQl.Selector("socket_listen_queue_limit", matchers)})"));
    }
}

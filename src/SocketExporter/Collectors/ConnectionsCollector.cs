using Prometheus;
using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Collectors;

/// <summary>
/// socket_connections and socket_queued_bytes: `netstat -ntap` aggregated to bounded labels. A connection
/// whose local port has a listener is inbound and labelled with that port; any other is outbound and labelled
/// with the remote port. Ephemeral ports and remote addresses never become label values.
/// </summary>
public sealed class ConnectionsCollector : ISnapshotCollector
{
    public string Name => "connections";

    private readonly record struct Key(SocketProtocol Protocol, SocketState State, bool Inbound, ushort Port, int Process);

    public void Update(ScrapeSnapshot snapshot, MetricWriter metrics)
    {
        SocketData.ThrowIfUnavailable(snapshot);
        BudgetedGauge connections = metrics.Gauge("socket_connections",
            "Non-listening sockets by state. direction=inbound: port is the local listening port; outbound: the remote port. " +
            "pid and program are empty for sockets no process holds (time_wait, not yet accepted).",
            ["protocol", "state", "direction", "port", "pid", "program"]);
        BudgetedGauge queued = metrics.Gauge("socket_queued_bytes",
            "Bytes in the receive queue (not yet read by the process) and send queue (not yet acknowledged by the peer) " +
            "of those connections: netstat's Recv-Q and Send-Q.",
            ["protocol", "queue", "direction", "port", "pid", "program"]);

        var groups = new Dictionary<Key, (int Count, long Receive, long Send)>();
        foreach (SocketEntry s in snapshot.Sockets)
        {
            if (s.IsListening || (s.Protocol == SocketProtocol.Udp && s.RemotePort == 0))
                continue;
            bool inbound = snapshot.IsListeningPort(s.Protocol, s.LocalPort);
            ushort port = inbound ? s.LocalPort : s.RemotePort;
            bool held = false;
            foreach (int process in snapshot.Owners.GetOwners(s.Inode))
            {
                Add(groups, new Key(s.Protocol, s.State, inbound, port, process), s);
                held = true;
            }
            if (!held)
                Add(groups, new Key(s.Protocol, s.State, inbound, port, -1), s);
        }

        var queueTotals = new Dictionary<Key, (long Receive, long Send)>();
        foreach ((Key key, var g) in groups)
        {
            string protocol = Labels.Protocol(key.Protocol), direction = key.Inbound ? Labels.Inbound : Labels.Outbound;
            string port = Labels.Port(key.Port), pid = Labels.Pid(snapshot, key.Process), program = Labels.Program(snapshot, key.Process);
            connections.Add(g.Count, protocol, SocketStateNames.LabelValue(key.State), direction, port, pid, program);
            // Queues are summed over states: the state is already in socket_connections.
            Key stateless = key with { State = 0 };
            queueTotals.TryGetValue(stateless, out var t);
            queueTotals[stateless] = (t.Receive + g.Receive, t.Send + g.Send);
        }
        foreach ((Key key, var t) in queueTotals)
        {
            string protocol = Labels.Protocol(key.Protocol), direction = key.Inbound ? Labels.Inbound : Labels.Outbound;
            string port = Labels.Port(key.Port), pid = Labels.Pid(snapshot, key.Process), program = Labels.Program(snapshot, key.Process);
            queued.Add(t.Receive, protocol, "receive", direction, port, pid, program);
            queued.Add(t.Send, protocol, "send", direction, port, pid, program);
        }
    }

    private static void Add(Dictionary<Key, (int Count, long Receive, long Send)> groups, Key key, in SocketEntry s)
    {
        groups.TryGetValue(key, out var g);
        groups[key] = (g.Count + 1, g.Receive + s.ReceiveQueue, g.Send + s.SendQueue);
    }
}

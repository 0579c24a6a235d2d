using Prometheus;
using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Collectors;

/// <summary>
/// socket_connections and socket_queued_bytes: `netstat -ntap` aggregated to bounded labels. Direction and port
/// follow <see cref="ConnectionDirection"/>; unconnected UDP sockets that are not services (bound by the kernel to an
/// ephemeral port at their first sendto()) are counted here without a port. Ephemeral ports and remote addresses
/// never become label values.
/// </summary>
public sealed class ConnectionsCollector : ISnapshotCollector
{
    public string Name => "connections";
    public SnapshotParts Reads => SnapshotParts.Sockets | SnapshotParts.Processes;

    // Reused across scrapes (collections never overlap): on a busy host these are large-object-heap sized.
    private readonly Dictionary<ulong, (int Count, long Receive, long Send)> _groups = [];
    private readonly Dictionary<ulong, (long Receive, long Send)> _queueTotals = [];
    // Which ports had a listener at earlier scrapes: the only state this collector keeps across scrapes.
    private readonly ListenerPortMemory _services = new();

    private enum PortKind : byte { Number, Ephemeral, None }

    // Packed into one ulong so the per-socket dictionary work hashes a single word:
    // process index + 1 (bits 0-31), port (32-47), state (48-55), inbound (56), protocol is UDP (57), port kind (58-59).
    private readonly record struct Key(SocketProtocol Protocol, SocketState State, bool Inbound, ushort Port, int Process, PortKind Kind)
    {
        public ulong Pack() => (uint)(Process + 1) | ((ulong)Port << 32) | ((ulong)State << 48)
            | (Inbound ? 1UL << 56 : 0) | (Protocol == SocketProtocol.Udp ? 1UL << 57 : 0) | ((ulong)Kind << 58);

        public static Key Unpack(ulong v) => new(
            (v & (1UL << 57)) != 0 ? SocketProtocol.Udp : SocketProtocol.Tcp, (SocketState)(byte)(v >> 48),
            (v & (1UL << 56)) != 0, (ushort)(v >> 32), (int)(uint)v - 1, (PortKind)((v >> 58) & 3));

        public string PortLabel => Kind switch
        {
            PortKind.Number => Labels.Port(Port),
            PortKind.Ephemeral => ConnectionDirection.EphemeralPortLabel,
            _ => "",
        };
    }

    public void Update(ScrapeSnapshot snapshot, MetricWriter metrics)
    {
        SocketData.ThrowIfUnavailable(snapshot);
        BudgetedGauge connections = metrics.Gauge("socket_connections",
            "Non-listening sockets by state. direction=inbound: port is the local service port; outbound: the remote service port, " +
            "\"ephemeral\" when both ports are in the ephemeral range and neither had a listener. UDP sockets that send from an " +
            "ephemeral port without connect() count as state=\"close\", direction=\"outbound\", port=\"\". " +
            "pid and program are empty for sockets no process holds (time_wait, not yet accepted).",
            ["protocol", "state", "direction", "port", "pid", "program", "netns"]);
        BudgetedGauge queued = metrics.Gauge("socket_queued_bytes",
            "Bytes in the receive queue (not yet read by the process) and send queue (not yet acknowledged by the peer) " +
            "of those connections: netstat's Recv-Q and Send-Q. Present only for connection groups with bytes queued in either direction.",
            ["protocol", "queue", "direction", "port", "pid", "program", "netns"]);

        _services.Observe(snapshot);
        foreach (NetNsSnapshot ns in snapshot.Namespaces)
        {
            ListenerPortMemory.View services = _services.For(ns);
            var groups = _groups;
            groups.Clear();
            IReadOnlyList<SocketEntry> sockets = ns.Sockets;
            SocketHolders holders = snapshot.Owners.HoldersOf(sockets);
            for (int i = 0; i < sockets.Count; i++)
            {
                SocketEntry s = sockets[i];
                if (ns.IsService(s))
                    continue;   // socket_listening's
                Key key;
                if (s.IsListening)   // unconnected UDP on an ephemeral port: a client using sendto(), no single peer
                    key = new Key(s.Protocol, s.State, false, 0, SocketOwnerIndex.Unheld, PortKind.None);
                else
                {
                    (bool inbound, ushort? port) = ConnectionDirection.Classify(ns, services, s);
                    key = new Key(s.Protocol, s.State, inbound, port ?? 0, SocketOwnerIndex.Unheld, port is null ? PortKind.Ephemeral : PortKind.Number);
                }
                foreach (int process in holders.HoldersOrUnheld(i))
                    Add(groups, key with { Process = process }, s);
            }

            var queueTotals = _queueTotals;
            queueTotals.Clear();
            foreach ((ulong packed, var g) in groups)
            {
                Key key = Key.Unpack(packed);
                string protocol = Labels.Protocol(key.Protocol), direction = key.Inbound ? Labels.Inbound : Labels.Outbound;
                string port = key.PortLabel, pid = Labels.Pid(snapshot, key.Process), program = Labels.Program(snapshot, key.Process);
                connections.Add(g.Count, protocol, SocketStateNames.LabelValue(key.State), direction, port, pid, program, ns.Label);
                // Queues are summed over states: the state is already in socket_connections.
                ulong stateless = (key with { State = 0 }).Pack();
                queueTotals.TryGetValue(stateless, out var t);
                queueTotals[stateless] = (t.Receive + g.Receive, t.Send + g.Send);
            }
            foreach ((ulong packed, var t) in queueTotals)
            {
                // Idle connections queue nothing: exporting two zeros per connection group would double the series
                // for no information. socket_connections already says the connections exist.
                if (t.Receive == 0 && t.Send == 0)
                    continue;
                Key key = Key.Unpack(packed);
                string protocol = Labels.Protocol(key.Protocol), direction = key.Inbound ? Labels.Inbound : Labels.Outbound;
                string port = key.PortLabel, pid = Labels.Pid(snapshot, key.Process), program = Labels.Program(snapshot, key.Process);
                queued.Add(t.Receive, protocol, "receive", direction, port, pid, program, ns.Label);
                queued.Add(t.Send, protocol, "send", direction, port, pid, program, ns.Label);
            }
        }
    }

    private static void Add(Dictionary<ulong, (int Count, long Receive, long Send)> groups, Key key, in SocketEntry s)
    {
        ref var g = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(groups, key.Pack(), out _);
        g = (g.Count + 1, g.Receive + s.ReceiveQueue, g.Send + s.SendQueue);
    }
}

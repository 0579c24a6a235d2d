using Prometheus;
using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Collectors;

/// <summary>
/// socket_listen_queue_length / _limit: the accept queue of each listening TCP address:port and its backlog
/// (sock_diag's idiag_rqueue / idiag_wqueue on a LISTEN socket), summed over SO_REUSEPORT sockets.
/// `ss -ltn` prints the same numbers as Recv-Q / Send-Q. Each socket counts once, under the program (or joined
/// programs, see <see cref="SharedHolders"/>) holding it, so a sum over programs is the kernel's number. And per network namespace, how often a full accept queue
/// dropped a connection since the namespace was created (`nstat -az TcpExtListenOverflows TcpExtListenDrops` inside it):
/// the gauges show a queue filling up, the counters whether it overflowed between two scrapes.
/// </summary>
public sealed class ListenQueueCollector : ISnapshotCollector
{
    public string Name => "listen_queue";
    public SnapshotParts Reads => SnapshotParts.Sockets | SnapshotParts.Processes;

    private readonly record struct Key(SocketFamily Family, InetAddress Address, ushort Port, uint Interface, string Program);

    public void Update(ScrapeSnapshot snapshot, MetricWriter metrics)
    {
        SocketData.ThrowIfUnavailable(snapshot);
        string[] labels = ["protocol", "family", "address", "port", "program", "netns"];
        BudgetedGauge length = metrics.Gauge("socket_listen_queue_length",
            "Connections waiting in the accept queue of a listening address:port (summed over SO_REUSEPORT sockets). " +
            "A socket held by differently named programs counts once, under their names sorted and joined with \",\".", labels);
        BudgetedGauge limit = metrics.Gauge("socket_listen_queue_limit",
            "Backlog (maximum accept queue) of a listening address:port (summed over SO_REUSEPORT sockets). " +
            "Absent when the socket table came from /proc/net, which does not show the backlog.", labels);

        Counter overflows = metrics.NamespaceCounter("socket_listen_overflows_total",
            "Connections that found a listener's accept queue full in this network namespace since it was created " +
            "(TcpExtListenOverflows of its /proc/net/netstat). Absent when that file could not be read.");
        Counter drops = metrics.NamespaceCounter("socket_listen_drops_total",
            "SYNs and final ACKs that listeners of this network namespace dropped since it was created, overflows included " +
            "(TcpExtListenDrops of its /proc/net/netstat). Absent when that file could not be read.");

        // Anyone can make unix listeners by the thousand: their series draw from a limit of their own.
        BudgetedGauge unixLength = length.ForUnixPaths(), unixLimit = limit.ForUnixPaths();
        var addresses = new AddressLabels();
        var holders = new SharedHolders();
        foreach (NetNsSnapshot ns in snapshot.Namespaces)
        {
            if (ns.ListenDrops is { } counters)   // namespaces the netns filter drops are not read at all
            {
                overflows.WithLabels(ns.Label).IncTo(counters.Overflows);
                drops.WithLabels(ns.Label).IncTo(counters.Drops);
            }
            var queues = new Dictionary<Key, (long Length, long Limit, bool LimitKnown)>();
            foreach (SocketEntry s in ns.Services)
            {
                if (s.Protocol != SocketProtocol.Tcp || s.State != SocketState.Listen)
                    continue;
                bool limitKnown = BacklogKnown(ns, s);
                var key = new Key(s.Family, s.LocalAddress, s.LocalPort, s.BoundInterface, holders.ProgramLabel(snapshot, s.Inode));
                queues.TryGetValue(key, out var q);
                queues[key] = (q.Length + s.ReceiveQueue, q.Limit + s.SendQueue, limitKnown);
            }

            foreach ((Key key, var q) in queues)
            {
                string[] values = ["tcp", Labels.Family(key.Family), addresses.Of(ns, key.Address, key.Family, key.Interface),
                    Labels.Port(key.Port), key.Program, ns.Label];
                length.Add(q.Length, values);
                if (q.LimitKnown)
                    limit.Add(q.Limit, values);
            }

            // AF_UNIX listeners: unix_diag's RQLEN gives pending connections and backlog (absent from /proc/net/unix).
            var unixQueues = new Dictionary<(string Name, string Program), (long Length, long Limit)>();
            foreach (UnixSocketEntry s in UnixListenerOrder.FewestPerUidFirst(snapshot, ns))   // named listeners only
            {
                if (!s.QueuesKnown)
                    continue;
                string program = holders.ProgramLabel(snapshot, s.Inode);
                unixQueues.TryGetValue((s.Name!, program), out var q);
                unixQueues[(s.Name!, program)] = (q.Length + s.ReceiveQueue, q.Limit + s.SendQueue);
            }
            foreach (((string name, string program), var q) in unixQueues)
            {
                unixLength.Add(q.Length, "unix", "unix", name, "", program, ns.Label);
                unixLimit.Add(q.Limit, "unix", "unix", name, "", program, ns.Label);
            }
        }
    }

    private static bool BacklogKnown(NetNsSnapshot ns, in SocketEntry s)
    {
        foreach (SocketTableStatus t in ns.SocketTables)
            if (t.Protocol == s.Protocol && t.Family == s.Family)
                return t.BacklogKnown;
        return false;
    }
}

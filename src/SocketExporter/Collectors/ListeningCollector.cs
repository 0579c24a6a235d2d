using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Collectors;

/// <summary>socket_listening: `ss -tulnp` / `ss -xlp` — which process listens on which address:port, per network namespace.</summary>
public sealed class ListeningCollector : ISnapshotCollector
{
    public string Name => "listening";
    public SnapshotParts Reads => SnapshotParts.Sockets | SnapshotParts.Processes;

    private readonly record struct Key(SocketProtocol Protocol, SocketFamily Family, InetAddress Address, ushort Port, uint Interface, int Process);

    public void Update(ScrapeSnapshot snapshot, MetricWriter metrics)
    {
        SocketData.ThrowIfUnavailable(snapshot);
        BudgetedGauge listening = metrics.Gauge("socket_listening",
            "Listening TCP sockets, unconnected UDP sockets bound outside the ephemeral port range (ip_local_port_range) and listening unix sockets a process holds on an address:port " +
            "(several with SO_REUSEPORT; a socket bound to a device has it after '%' in address, as ss writes it: 0.0.0.0%lo; " +
            "unix: address is the path, port is empty), per network namespace (netns=\"host\" " +
            "for the host's). pid and program are empty when no visible process holds the socket.",
            ["protocol", "family", "address", "port", "pid", "program", "netns"]);

        BudgetedGauge unixListening = listening.ForUnixPaths();   // anyone can make unix listeners by the thousand
        var addresses = new AddressLabels();
        foreach (NetNsSnapshot ns in snapshot.Namespaces)
        {
            var counts = new Dictionary<Key, int>();
            // Services only: not a UDP socket the kernel bound to an ephemeral port for sendto().
            foreach (SocketEntry s in ns.Services)
            {
                foreach (int process in snapshot.Owners.HoldersOrUnheld(s.Inode))
                    Add(counts, new Key(s.Protocol, s.Family, s.LocalAddress, s.LocalPort, s.BoundInterface, process));
            }
            foreach ((Key key, int count) in counts)
            {
                listening.Add(count, Labels.Protocol(key.Protocol), Labels.Family(key.Family),
                    addresses.Of(ns, key.Address, key.Family, key.Interface), Labels.Port(key.Port),
                    Labels.Pid(snapshot, key.Process), Labels.Program(snapshot, key.Process), ns.Label);
            }
            WriteUnix(snapshot, ns, unixListening);
        }
    }

    // AF_UNIX listeners: address is the path ("@name" for the abstract namespace), port is empty.
    private static void WriteUnix(ScrapeSnapshot snapshot, NetNsSnapshot ns, BudgetedGauge listening)
    {
        var counts = new Dictionary<(string Name, int Process), int>();
        foreach (UnixSocketEntry s in UnixListenerOrder.FewestPerUidFirst(snapshot, ns))   // named listeners only
            foreach (int process in snapshot.Owners.HoldersOrUnheld(s.Inode))
                counts[(s.Name!, process)] = counts.GetValueOrDefault((s.Name!, process)) + 1;
        foreach (((string name, int process), int count) in counts)   // insertion order: the fair order above
            listening.Add(count, "unix", "unix", name, "", Labels.Pid(snapshot, process), Labels.Program(snapshot, process), ns.Label);
    }

    private static void Add(Dictionary<Key, int> counts, Key key) =>
        counts[key] = counts.GetValueOrDefault(key) + 1;
}

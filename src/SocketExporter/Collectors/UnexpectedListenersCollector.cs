using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Collectors;

/// <summary>
/// socket_listening_unexpected: the listeners (the TCP and UDP ones socket_listening counts) that no entry of the config
/// file's expected_listeners matches — "is anything listening that should not be?". Writes nothing without a policy.
/// </summary>
public sealed class UnexpectedListenersCollector(ListenerPolicy policy) : ISnapshotCollector
{
    public string Name => "unexpected_listeners";
    public SnapshotParts Reads => SnapshotParts.Sockets | SnapshotParts.Processes;

    public void Update(ScrapeSnapshot snapshot, MetricWriter metrics)
    {
        if (!policy.IsConfigured)
            return;   // no policy, no judgement: absent for everyone rather than 0 or 1 for everyone
        SocketData.ThrowIfUnavailable(snapshot);
        // Min: a series is 1 however many sockets (SO_REUSEPORT) or, with drop_pid, holders it stands for.
        BudgetedGauge unexpected = metrics.Gauge("socket_listening_unexpected",
            "1 for a listener (a socket_listening series with a port) that no entry of the config file's expected_listeners " +
            "matches; absent for expected listeners, and for all when no expected_listeners is configured.",
            ["protocol", "family", "address", "port", "pid", "program", "netns"], SeriesAggregation.Min);

        var addresses = new AddressLabels();
        foreach (NetNsSnapshot ns in snapshot.Namespaces)
        {
            var written = new HashSet<(string Protocol, string Family, string Address, ushort Port, int Process)>();
            foreach (SocketEntry s in ns.Services)
            {
                if (s.Protocol is not (SocketProtocol.Tcp or SocketProtocol.Udp))
                    continue;
                string protocol = Labels.Protocol(s.Protocol), family = Labels.Family(s.Family);
                string address = addresses.Of(ns, s.LocalAddress, s.Family, s.BoundInterface);
                foreach (int process in snapshot.Owners.HoldersOrUnheld(s.Inode))
                {
                    string program = Labels.Program(snapshot, process);
                    if (policy.IsExpected(new ListenerLabels(protocol, address, s.LocalPort, program, ns.Label))
                        || !written.Add((protocol, family, address, s.LocalPort, process)))
                        continue;
                    unexpected.Add(1, protocol, family, address, Labels.Port(s.LocalPort), Labels.Pid(snapshot, process), program, ns.Label);
                }
            }
        }
    }
}

using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Collectors;

/// <summary>
/// socket_raw and socket_packet: `ss -w` and `ss -0` — who holds raw IP, ICMP echo ("ping") and link-layer (AF_PACKET)
/// sockets, per network namespace. A packet socket sees every frame of its interface: who holds one is who captures
/// traffic. Counted per holder, like socket_listening; ping sockets' echo identifiers are never labels.
/// </summary>
public sealed class RawSocketsCollector : ISnapshotCollector
{
    public string Name => "raw_sockets";
    public SnapshotParts Reads => SnapshotParts.Sockets | SnapshotParts.Processes;

    private readonly record struct RawKey(RawSocketKind Kind, SocketFamily Family, ushort Protocol, int Process);
    private readonly record struct PacketKey(byte Type, ushort Protocol, int InterfaceIndex, int Process);

    public void Update(ScrapeSnapshot snapshot, MetricWriter metrics)
    {
        List<NetNsSnapshot> read = snapshot.Namespaces.Where(n => !n.SkippedAtDeadline).ToList();
        if (read.Count > 0 && read.All(n => n.RawSocketsError is not null && n.RawSockets.Count == 0))
            throw new CollectorDataUnavailableException("no raw or packet socket table could be read: " +
                string.Join("; ", read.Select(n => n.RawSocketsError).Distinct()));

        BudgetedGauge raw = metrics.Gauge("socket_raw",
            "Raw IP sockets (kind=\"raw\", `ss -w`; protocol is the IP protocol they see) and ICMP echo sockets (kind=\"ping\") " +
            "a process holds, per network namespace. pid and program are empty when no visible process holds the socket.",
            ["kind", "family", "protocol", "pid", "program", "netns"]);
        BudgetedGauge packet = metrics.Gauge("socket_packet",
            "AF_PACKET sockets a process holds (`ss -0`): link-layer capture or injection. type is raw (frames with their " +
            "link-layer header) or dgram; protocol the ethertype received (all = every frame); interface the one it is " +
            "bound to, empty for every interface.",
            ["type", "protocol", "interface", "pid", "program", "netns"]);

        foreach (NetNsSnapshot ns in read)
        {
            var raws = new Dictionary<RawKey, int>();
            var packets = new Dictionary<PacketKey, int>();
            foreach (RawSocketEntry s in ns.RawSockets)
                foreach (int process in snapshot.Owners.HoldersOrUnheld(s.Inode))
                    Count(s, process, raws, packets);
            foreach ((RawKey key, int count) in raws)
                raw.Add(count, key.Kind == RawSocketKind.Ping ? "ping" : "raw", Labels.Family(key.Family), IpProtocolName(key.Protocol),
                    Labels.Pid(snapshot, key.Process), Labels.Program(snapshot, key.Process), ns.Label);
            foreach ((PacketKey key, int count) in packets)
                packet.Add(count, PacketTypeName(key.Type), EthertypeName(key.Protocol), InterfaceText(ns, key.InterfaceIndex),
                    Labels.Pid(snapshot, key.Process), Labels.Program(snapshot, key.Process), ns.Label);
        }
    }

    private static void Count(RawSocketEntry s, int process, Dictionary<RawKey, int> raws, Dictionary<PacketKey, int> packets)
    {
        if (s.Kind == RawSocketKind.Packet)
        {
            var key = new PacketKey(s.PacketType, s.Protocol, s.InterfaceIndex, process);
            packets[key] = packets.GetValueOrDefault(key) + 1;
        }
        else
        {
            var key = new RawKey(s.Kind, s.Family, s.Protocol, process);
            raws[key] = raws.GetValueOrDefault(key) + 1;
        }
    }

    private static string InterfaceText(NetNsSnapshot ns, int ifindex) =>
        ifindex switch
        {
            0 => "",
            Linux.ProcFs.ProcNetPacketParser.GoneInterface => "gone",   // its interface was unregistered since the bind
            _ => ns.InterfaceName((uint)ifindex),
        };

    // The protocols raw sockets are opened for in practice, by their /etc/protocols names (as `ss -w` prints them
    // with name resolution); others by number, so the label stays bounded (at most 256 values).
    internal static string IpProtocolName(ushort protocol) => protocol switch
    {
        1 => "icmp",
        2 => "igmp",
        6 => "tcp",
        17 => "udp",
        47 => "gre",
        50 => "esp",
        51 => "ah",
        58 => "ipv6-icmp",
        89 => "ospf",
        103 => "pim",
        112 => "vrrp",
        132 => "sctp",
        255 => "raw",
        _ => Labels.Number(protocol),
    };

    // linux/if_ether.h; others as 0x-prefixed hex, bounded by the ethertypes actually in use.
    internal static string EthertypeName(ushort ethertype) => ethertype switch
    {
        0x0000 => "none",
        0x0003 => "all",
        0x0800 => "ip",
        0x0806 => "arp",
        0x86DD => "ipv6",
        0x8100 => "8021q",
        0x888E => "eapol",
        0x88CC => "lldp",
        _ => "0x" + ethertype.ToString("x4", System.Globalization.CultureInfo.InvariantCulture),
    };

    // linux/net.h: SOCK_DGRAM 2, SOCK_RAW 3.
    private static string PacketTypeName(byte type) => type switch
    {
        2 => "dgram",
        3 => "raw",
        _ => Labels.Number(type),
    };
}

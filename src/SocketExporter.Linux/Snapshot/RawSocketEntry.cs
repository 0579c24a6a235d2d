namespace SocketExporter.Linux.Snapshot;

/// <summary>Sockets that bypass TCP and UDP, each from its own /proc/net table.</summary>
public enum RawSocketKind : byte
{
    /// <summary>SOCK_RAW in AF_INET/AF_INET6 (/proc/net/raw, raw6; `ss -w`): sees every packet of one IP protocol.</summary>
    Raw,
    /// <summary>Unprivileged ICMP echo sockets, SOCK_DGRAM + IPPROTO_ICMP[V6] (/proc/net/icmp, icmp6), once bound or used.</summary>
    Ping,
    /// <summary>AF_PACKET (/proc/net/packet; `ss -0`): link-layer capture or injection — tcpdump, DHCP clients, LLDP agents.</summary>
    Packet,
}

/// <param name="Family">Ipv4 or Ipv6 for raw and ping sockets; <see cref="SocketFamily.Packet"/> for packet sockets.</param>
/// <param name="Protocol">Raw: the IP protocol number it was opened for (1 ICMP, 58 ICMPv6, 255 any). Ping: 1 or 58.
/// Packet: the ethertype it receives, host order (3 = ETH_P_ALL, 0x0800 IPv4, 0 = none yet).</param>
/// <param name="PacketType">Packet sockets: SOCK_RAW (3, link-layer headers included) or SOCK_DGRAM (2); 0 otherwise.</param>
/// <param name="InterfaceIndex">Packet sockets: the interface it is bound to, 0 for all, -1 when that interface is gone.</param>
public readonly record struct RawSocketEntry(RawSocketKind Kind, SocketFamily Family, ushort Protocol, byte PacketType,
    int InterfaceIndex, uint Uid, ulong Inode);

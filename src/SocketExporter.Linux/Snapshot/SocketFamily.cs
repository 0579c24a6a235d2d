namespace SocketExporter.Linux.Snapshot;

/// <summary>Address family, with the kernel's AF_* values.</summary>
public enum SocketFamily : byte
{
    Unix = 1,
    Ipv4 = 2,
    Ipv6 = 10,
    /// <summary>AF_PACKET: link-layer sockets (<see cref="RawSocketKind.Packet"/>).</summary>
    Packet = 17,
}

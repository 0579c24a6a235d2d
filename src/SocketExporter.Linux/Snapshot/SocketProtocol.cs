namespace SocketExporter.Linux.Snapshot;

public enum SocketProtocol : byte
{
    /// <summary>AF_UNIX stream and seqpacket sockets (not an IP protocol number).</summary>
    Unix = 1,
    Tcp = 6,
    Udp = 17,
}

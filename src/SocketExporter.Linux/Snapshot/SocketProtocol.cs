namespace SocketExporter.Linux.Snapshot;

public enum SocketProtocol : byte
{
    Tcp = 6,
    Udp = 17,
}

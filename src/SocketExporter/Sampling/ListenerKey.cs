using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Sampling;

/// <summary>A listening TCP address:port in one network namespace (by inode), as socket_listen_queue_* name it minus the
/// program: the key under which sampled accept-queue peaks wait for the next scrape.</summary>
public readonly record struct ListenerKey(ulong Netns, SocketFamily Family, InetAddress Address, ushort Port, uint Interface)
{
    public static ListenerKey Of(ulong netns, in SocketEntry s) => new(netns, s.Family, s.LocalAddress, s.LocalPort, s.BoundInterface);
}

/// <summary>A listening socket that appeared (<see cref="Opened"/>) or went away between two looks at a namespace.</summary>
public readonly record struct ListenerChange(ulong Netns, ulong Inode, ushort Port, bool Opened);

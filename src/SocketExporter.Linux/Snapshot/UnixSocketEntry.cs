namespace SocketExporter.Linux.Snapshot;

public enum UnixSocketType : byte
{
    Stream = 1,
    Datagram = 2,
    SeqPacket = 5,
}

/// <summary>
/// One AF_UNIX socket from unix_diag. <see cref="Name"/> is the bound path, "@name" for the abstract namespace
/// (as ss writes it), or null when unbound. For a listener the queues are pending connections and backlog;
/// otherwise unread bytes and send-buffer bytes in use. An accepted socket carries its listener's name.
/// </summary>
public sealed record UnixSocketEntry(UnixSocketType Type, SocketState State, ulong Inode, string? Name, ulong PeerInode,
    uint ReceiveQueue, uint SendQueue, bool QueuesKnown)
{
    public bool IsListening => State == SocketState.Listen;

    /// <summary>Stream and seqpacket sockets are connection-oriented; datagram sockets are not counted as connections.</summary>
    public bool IsConnectionOriented => Type is UnixSocketType.Stream or UnixSocketType.SeqPacket;
}

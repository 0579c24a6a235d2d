using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Linux.Events;

/// <summary>What a destroy event says about the socket's life.</summary>
public enum TcpDestroyKind : byte
{
    /// <summary>A connection that was established and is gone.</summary>
    Closed,
    /// <summary>An outbound connect that never became established (refused, timed out, reset during the handshake).</summary>
    ConnectFailed,
    /// <summary>A listener, or a socket that was never connected (dport and daddr are 0): not a connection.</summary>
    NotConnected,
}

/// <summary>
/// One destroyed TCP socket as the kernel pushed it (SOCK_DIAG_BY_FAMILY on the SKNLGRP_INET*_TCP_DESTROY groups).
/// It has no inode and no pid: the socket had no file any more.
/// </summary>
public readonly record struct TcpDestroyEvent(
    SocketFamily Family,
    InetAddress LocalAddress,
    ushort LocalPort,
    InetAddress RemoteAddress,
    ushort RemotePort,
    ulong Cookie,
    TcpFinalInfo Info)
{
    /// <summary>
    /// A blocking connect() that fails (refused, timed out) runs tcp_disconnect() before the socket is closed, which
    /// zeroes the remote port (and the source address and tcp_info counters) but keeps the remote address: such an
    /// event is a failed connect whose port is unknown. A non-blocking connect (what event loops use) keeps its port.
    /// </summary>
    public TcpDestroyKind Kind =>
        Info.WasEstablished ? TcpDestroyKind.Closed
        : RemotePort != 0 || RemoteAddress != default ? TcpDestroyKind.ConnectFailed
        : TcpDestroyKind.NotConnected;
}

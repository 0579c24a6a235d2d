using SocketExporter.Linux.Events;

namespace SocketExporter.Linux.Snapshot;

/// <summary>
/// A connected TCP socket's tcp_info at the moment of the dump, by the socket's cookie (which its destroy event carries
/// too, and which <see cref="SocketEntry.Cookie"/> joins to the socket). <see cref="State"/> says whether the peer's
/// FIN has come (it counts as a byte in bytes_received).
/// </summary>
public readonly record struct TcpInfoEntry(ulong Cookie, SocketState State, TcpFinalInfo Info)
{
    /// <summary>States entered once the peer's FIN arrived (include/net/tcp_states.h).</summary>
    public bool FinReceived => State is SocketState.CloseWait or SocketState.LastAck or SocketState.Closing;
}

using SocketExporter.Linux.Events;
using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Linux.Netlink;

/// <summary>One reply of a dump that asked for INET_DIAG_INFO: the socket, and its tcp_info when the kernel sent one
/// (not for listeners' request sockets nor TIME_WAIT mini-sockets, which have none).</summary>
public readonly record struct InetDiagWithInfo(SocketEntry Socket, TcpFinalInfo? Info);

/// <summary>Decodes an inet_diag_msg as <see cref="InetDiagDecoder"/> does, and its INET_DIAG_INFO attribute.</summary>
public sealed class InetDiagInfoDecoder : IDiagDecoder<InetDiagWithInfo>
{
    public static bool TryDecode(ReadOnlySpan<byte> payload, SocketProtocol protocol, out InetDiagWithInfo entry)
    {
        entry = default;
        if (!InetDiagDecoder.TryDecode(payload, protocol, out SocketEntry socket))
            return false;
        // An attribute that overruns its message makes the whole message suspect: counted bad, as a short one is.
        if (!InetDiagAttributes.TryFindInfo(payload[NetlinkConstants.InetDiagMsgLength..], out ReadOnlySpan<byte> info, out bool hasInfo, out _))
            return false;
        entry = new InetDiagWithInfo(socket, hasInfo ? TcpFinalInfo.Parse(info) : null);
        return true;
    }
}

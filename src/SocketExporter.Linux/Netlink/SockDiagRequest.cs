using System.Runtime.InteropServices;
using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Linux.Netlink;

/// <summary>Builds SOCK_DIAG_BY_FAMILY dump requests (nlmsghdr + inet_diag_req_v2) byte by byte.</summary>
public static class SockDiagRequest
{
    public const int InetLength = NetlinkConstants.NlMsgHeaderLength + NetlinkConstants.InetDiagReqV2Length;

    /// <summary>Writes a dump request for every socket of <paramref name="protocol"/> in the given states.</summary>
    public static void WriteInetDump(Span<byte> destination, SocketFamily family, SocketProtocol protocol, uint states, uint sequence)
    {
        Span<byte> request = destination[..InetLength];
        NetlinkConstants.WriteDumpHeader(request, sequence);
        // struct inet_diag_req_v2: family, protocol, ext (no extra attributes), pad, states, then a zeroed
        // inet_diag_sockid (a dump ignores it).
        request[16] = (byte)family;
        request[17] = (byte)protocol;
        MemoryMarshal.Write(request[20..], states);
    }
}

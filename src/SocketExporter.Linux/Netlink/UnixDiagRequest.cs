using System.Runtime.InteropServices;

namespace SocketExporter.Linux.Netlink;

/// <summary>Builds the unix_diag dump request (include/uapi/linux/unix_diag.h): nlmsghdr + struct unix_diag_req.</summary>
public static class UnixDiagRequest
{
    public const int Length = NetlinkConstants.NlMsgHeaderLength + 24;

    // udiag_show bits
    internal const uint UDIAG_SHOW_NAME = 0x1, UDIAG_SHOW_PEER = 0x4, UDIAG_SHOW_RQLEN = 0x10;

    public static void WriteDump(Span<byte> destination, uint sequence)
    {
        Span<byte> request = destination[..Length];
        NetlinkConstants.WriteDumpHeader(request, sequence);
        // struct unix_diag_req: family, protocol, pad u16, states u32, ino u32, show u32, cookie u32[2]
        request[16] = 1;   // AF_UNIX
        MemoryMarshal.Write(request[20..], NetlinkConstants.AllStates);
        MemoryMarshal.Write(request[28..], UDIAG_SHOW_NAME | UDIAG_SHOW_PEER | UDIAG_SHOW_RQLEN);
        MemoryMarshal.Write(request[32..], uint.MaxValue);   // INET_DIAG_NOCOOKIE-style "any"
        MemoryMarshal.Write(request[36..], uint.MaxValue);
    }
}

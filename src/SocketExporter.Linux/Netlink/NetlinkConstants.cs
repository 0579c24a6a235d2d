namespace SocketExporter.Linux.Netlink;

/// <summary>Values from include/uapi/linux/netlink.h, sock_diag.h and inet_diag.h.</summary>
internal static class NetlinkConstants
{
    internal const int NlMsgHeaderLength = 16;       // struct nlmsghdr
    internal const ushort NLMSG_NOOP = 1, NLMSG_ERROR = 2, NLMSG_DONE = 3, NLMSG_OVERRUN = 4;
    internal const ushort SOCK_DIAG_BY_FAMILY = 20;
    // The request and reply type of the original TCP diag interface (TCPDIAG_GETSOCK in inet_diag.h), still served by
    // inet_diag's compat handler: its dumps take both address families in one pass (SockDiagRequest.WriteTcpDump).
    internal const ushort TCPDIAG_GETSOCK = 18;
    internal const int InetDiagReqLength = 60;       // struct inet_diag_req (the compat request)
    internal const ushort NLM_F_REQUEST = 0x1, NLM_F_MULTI = 0x2, NLM_F_ROOT = 0x100, NLM_F_MATCH = 0x200;
    internal const ushort NLM_F_DUMP = NLM_F_ROOT | NLM_F_MATCH;
    internal const int InetDiagReqV2Length = 56;     // struct inet_diag_req_v2
    internal const int InetDiagMsgLength = 72;       // struct inet_diag_msg
    internal const uint AllStates = 0xFFFFFFFF;

    /// <summary>TCP_BOUND_INACTIVE (include/net/tcp_states.h, Linux 6.8+): a TCP socket only bound, neither listening nor
    /// connected, which `ss -tan`, `lsof -i` and /proc/net/tcp never list (the reader drops any that arrive).</summary>
    internal const int TCP_BOUND_INACTIVE = 13;

    /// <summary>The states every inet dump asks for: all but <see cref="TCP_BOUND_INACTIVE"/>. Asked for it, the kernel
    /// walks its bind table as well as the established one (inet_diag_dump_icsk), touching every socket that has a local
    /// port — on a busy node every connection a second time — to find the few only bound: a third of a TCP dump's kernel
    /// time at 100,000 sockets (bench/README, "Figures"), for records the reader would drop. Older kernels ignore the bit.</summary>
    internal const uint InetDumpStates = AllStates & ~(1u << TCP_BOUND_INACTIVE);

    /// <summary>Writes a SOCK_DIAG_BY_FAMILY dump request's struct nlmsghdr (host byte order) and zeroes the rest.</summary>
    internal static void WriteDumpHeader(Span<byte> request, uint sequence, ushort type = SOCK_DIAG_BY_FAMILY)
    {
        request.Clear();
        System.Runtime.InteropServices.MemoryMarshal.Write(request, (uint)request.Length);
        System.Runtime.InteropServices.MemoryMarshal.Write(request[4..], type);
        System.Runtime.InteropServices.MemoryMarshal.Write(request[6..], (ushort)(NLM_F_REQUEST | NLM_F_DUMP));
        System.Runtime.InteropServices.MemoryMarshal.Write(request[8..], sequence);
    }
}

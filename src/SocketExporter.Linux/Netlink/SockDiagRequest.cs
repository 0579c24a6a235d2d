using System.Runtime.InteropServices;
using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Linux.Netlink;

/// <summary>Builds SOCK_DIAG_BY_FAMILY dump requests (nlmsghdr + inet_diag_req_v2) byte by byte.</summary>
public static class SockDiagRequest
{
    public const int InetLength = NetlinkConstants.NlMsgHeaderLength + NetlinkConstants.InetDiagReqV2Length;

    /// <summary>Writes a dump request for every socket of <paramref name="protocol"/> in the given states.</summary>
    /// <param name="extensions">idiag_ext: attributes to add to each reply (<see cref="InetDiagAttributes.InfoExtension"/>), 0 for none.</param>
    public static void WriteInetDump(Span<byte> destination, SocketFamily family, SocketProtocol protocol, uint states, uint sequence,
        byte extensions = 0)
    {
        Span<byte> request = destination[..InetLength];
        NetlinkConstants.WriteDumpHeader(request, sequence);
        // struct inet_diag_req_v2: family, protocol, ext (extra attributes asked for), pad, states, then a zeroed
        // inet_diag_sockid (a dump ignores it).
        request[16] = (byte)family;
        request[17] = (byte)protocol;
        request[18] = extensions;
        MemoryMarshal.Write(request[20..], states);
    }

    // include/uapi/linux/inet_diag.h: INET_DIAG_REQ_BYTECODE (attribute type 1 of a request), and the bytecode op
    // INET_DIAG_BC_S_EQ (11): "source (local) port equals", whose port is the `no` field of the op that follows it.
    private const ushort INET_DIAG_REQ_BYTECODE = 1;
    private const byte INET_DIAG_BC_S_EQ = 11;
    private const int NlAttrHeaderLength = 4;      // struct nlattr: nla_len, nla_type
    private const int BcOpLength = 4;              // struct inet_diag_bc_op: u8 code, u8 yes, u16 no
    private const int LocalPortProgramLength = 2 * BcOpLength;

    public const int InetLocalPortLength = InetLength + NlAttrHeaderLength + LocalPortProgramLength;

    /// <summary>Writes a dump request whose sockets the kernel filters to local port <paramref name="localPort"/>
    /// (inet_diag_bc_run in net/ipv4/inet_diag.c; udp_diag runs the same bytecode), so the others are never copied out.</summary>
    public static void WriteInetDump(Span<byte> destination, SocketFamily family, SocketProtocol protocol, uint states, uint sequence, ushort localPort)
    {
        Span<byte> request = destination[..InetLocalPortLength];
        request.Clear();
        WriteInetDump(request, family, protocol, states, sequence);
        MemoryMarshal.Write(request, (uint)InetLocalPortLength);   // nlmsg_len covers the attribute
        Span<byte> attribute = request[InetLength..];
        MemoryMarshal.Write(attribute, (ushort)(NlAttrHeaderLength + LocalPortProgramLength));
        MemoryMarshal.Write(attribute[2..], INET_DIAG_REQ_BYTECODE);
        Span<byte> program = attribute[NlAttrHeaderLength..];
        // The kernel runs the program until its length is used up: a match jumps `yes` bytes (to the end: accept), a
        // miss jumps `no` bytes (4 past the end: reject). inet_diag_bc_audit allows `no` up to length + 4. The port
        // is in host order (the kernel compares it with inet_num).
        program[0] = INET_DIAG_BC_S_EQ;
        program[1] = LocalPortProgramLength;
        MemoryMarshal.Write(program[2..], (ushort)(LocalPortProgramLength + BcOpLength));
        MemoryMarshal.Write(program[(BcOpLength + 2)..], localPort);
    }
}

using System.Buffers.Binary;
using System.Runtime.InteropServices;
using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Linux.Netlink;

/// <summary>Decodes one inet_diag_msg payload (include/uapi/linux/inet_diag.h) into a <see cref="SocketEntry"/>.</summary>
public sealed class InetDiagDecoder : IDiagDecoder<SocketEntry>
{
    // struct inet_diag_msg offsets: family 0, state 1, timer 2, retrans 3, inet_diag_sockid 4..52
    // (sport 4 and dport 6 big-endian, src 8..24, dst 24..40, if 40, cookie 44), expires 52,
    // rqueue 56, wqueue 60, uid 64, inode 68. Attributes (rtattr) may follow; none are requested.
    // idiag_if (host order) is sk_bound_dev_if (inet_diag_msg_common_fill): the device of SO_BINDTODEVICE or of a
    // link-local address's scope; without it, listeners on one address:port bound to different devices would merge.
    private const int InterfaceOffset = 40, CookieOffset = 44;
    public static bool TryDecode(ReadOnlySpan<byte> payload, SocketProtocol protocol, out SocketEntry entry)
    {
        entry = default;
        if (payload.Length < NetlinkConstants.InetDiagMsgLength)
            return false;
        byte family = payload[0];
        if (family != (byte)SocketFamily.Ipv4 && family != (byte)SocketFamily.Ipv6)
            return false;
        byte state = payload[1];
        if (!SocketStateNames.IsKnown(state))
            return false;

        entry = new SocketEntry(
            protocol,
            (SocketFamily)family,
            (SocketState)state,
            InetAddress.FromBytes(payload.Slice(8, 16)),
            BinaryPrimitives.ReadUInt16BigEndian(payload[4..]),
            InetAddress.FromBytes(payload.Slice(24, 16)),
            BinaryPrimitives.ReadUInt16BigEndian(payload[6..]),
            ReceiveQueue: MemoryMarshal.Read<uint>(payload[56..]),
            SendQueue: MemoryMarshal.Read<uint>(payload[60..]),
            Uid: MemoryMarshal.Read<uint>(payload[64..]),
            Inode: MemoryMarshal.Read<uint>(payload[68..]),
            BoundInterface: MemoryMarshal.Read<uint>(payload[InterfaceOffset..]),
            // idiag_cookie: two host-order u32, low word first (INET_DIAG_NOCOOKIE, all ones, is not a cookie).
            Cookie: (ulong)MemoryMarshal.Read<uint>(payload[CookieOffset..]) | ((ulong)MemoryMarshal.Read<uint>(payload[(CookieOffset + 4)..]) << 32));
        return true;
    }
}

using System.Buffers.Binary;
using System.Runtime.InteropServices;
using SocketExporter.Linux.Netlink;
using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Linux.Events;

/// <summary>Why a destroy message could not be decoded.</summary>
public enum DestroyEventError : byte
{
    None,
    /// <summary>Shorter than struct inet_diag_msg (72 bytes).</summary>
    ShortMessage,
    /// <summary>idiag_family is neither AF_INET nor AF_INET6.</summary>
    UnknownFamily,
    /// <summary>An rtattr whose length is below its header or beyond the message.</summary>
    BadAttribute,
    /// <summary>INET_DIAG_PROTOCOL says another protocol than TCP.</summary>
    NotTcp,
    /// <summary>No INET_DIAG_INFO attribute: nothing to count.</summary>
    NoTcpInfo,
}

/// <summary>
/// Decodes the payload of one destroy message (after its nlmsghdr): struct inet_diag_msg (include/uapi/linux/inet_diag.h)
/// then rtattrs, of which INET_DIAG_PROTOCOL and INET_DIAG_INFO (the final struct tcp_info) are read. Pure: no I/O,
/// no allocation; every length is checked before a slice.
/// </summary>
public static class TcpDestroyEventDecoder
{
    public static bool TryDecode(ReadOnlySpan<byte> payload, out TcpDestroyEvent ev, out DestroyEventError error)
    {
        ev = default;
        if (payload.Length < NetlinkConstants.InetDiagMsgLength)
        {
            error = DestroyEventError.ShortMessage;
            return false;
        }
        byte family = payload[0];
        if (family != (byte)SocketFamily.Ipv4 && family != (byte)SocketFamily.Ipv6)
        {
            error = DestroyEventError.UnknownFamily;
            return false;
        }

        if (!InetDiagAttributes.TryFindInfo(payload[NetlinkConstants.InetDiagMsgLength..], out ReadOnlySpan<byte> info, out bool hasInfo, out byte protocol))
        {
            error = DestroyEventError.BadAttribute;
            return false;
        }
        if (protocol != 0 && protocol != InetDiagAttributes.IPPROTO_TCP)
        {
            error = DestroyEventError.NotTcp;
            return false;
        }
        if (!hasInfo)
        {
            error = DestroyEventError.NoTcpInfo;
            return false;
        }

        // inet_diag_sockid: sport 4 and dport 6 big-endian, src 8..24, dst 24..40, if 40, cookie 44 (two host-order u32,
        // low word first: one little-endian u64 on the little-endian machines this runs on).
        ev = new TcpDestroyEvent(
            (SocketFamily)family,
            InetAddress.FromBytes(payload.Slice(8, 16)),
            BinaryPrimitives.ReadUInt16BigEndian(payload[4..]),
            InetAddress.FromBytes(payload.Slice(24, 16)),
            BinaryPrimitives.ReadUInt16BigEndian(payload[6..]),
            (ulong)MemoryMarshal.Read<uint>(payload[44..]) | ((ulong)MemoryMarshal.Read<uint>(payload[48..]) << 32),
            TcpFinalInfo.Parse(info));
        error = DestroyEventError.None;
        return true;
    }
}

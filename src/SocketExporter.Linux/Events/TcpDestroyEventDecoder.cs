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
    // enum in inet_diag.h: INET_DIAG_NONE 0, MEMINFO 1, INFO 2, …, PROTOCOL 10.
    private const ushort INET_DIAG_INFO = 2, INET_DIAG_PROTOCOL = 10;
    private const byte IPPROTO_TCP = 6;
    private const int RtAttrHeaderLength = 4;   // struct rtattr: u16 rta_len, u16 rta_type

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

        ReadOnlySpan<byte> info = default;
        bool hasInfo = false;
        ReadOnlySpan<byte> attrs = payload[NetlinkConstants.InetDiagMsgLength..];
        while (attrs.Length >= RtAttrHeaderLength)
        {
            ushort length = MemoryMarshal.Read<ushort>(attrs);
            ushort type = MemoryMarshal.Read<ushort>(attrs[2..]);
            if (length < RtAttrHeaderLength || length > attrs.Length)
            {
                error = DestroyEventError.BadAttribute;
                return false;
            }
            ReadOnlySpan<byte> value = attrs[RtAttrHeaderLength..length];
            if (type == INET_DIAG_PROTOCOL && value.Length >= 1 && value[0] != IPPROTO_TCP)
            {
                error = DestroyEventError.NotTcp;
                return false;
            }
            if (type == INET_DIAG_INFO)
            {
                info = value;
                hasInfo = true;
            }
            int aligned = (length + 3) & ~3;   // RTA_ALIGN; the last attribute may end unpadded
            attrs = attrs[Math.Min(aligned, attrs.Length)..];
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
            DecodeInfo(info));
        error = DestroyEventError.None;
        return true;
    }

    private static TcpFinalInfo DecodeInfo(ReadOnlySpan<byte> info) => new(
        info.Length,
        U32(info, TcpFinalInfo.RttOffset),
        U32(info, TcpFinalInfo.TotalRetransOffset),
        U64(info, TcpFinalInfo.BytesAckedOffset),
        U64(info, TcpFinalInfo.BytesReceivedOffset),
        U32(info, TcpFinalInfo.DataSegsInOffset),
        U32(info, TcpFinalInfo.DeliveredOffset),
        U64(info, TcpFinalInfo.BytesSentOffset),
        U64(info, TcpFinalInfo.BytesRetransOffset));

    // A field past the end of a short (older kernel's) tcp_info reads 0; TcpFinalInfo.Has* says it is absent.
    private static uint U32(ReadOnlySpan<byte> s, int offset) => s.Length >= offset + 4 ? MemoryMarshal.Read<uint>(s[offset..]) : 0;
    private static ulong U64(ReadOnlySpan<byte> s, int offset) => s.Length >= offset + 8 ? MemoryMarshal.Read<ulong>(s[offset..]) : 0;
}

using System.Runtime.InteropServices;

namespace SocketExporter.Linux.Netlink;

/// <summary>
/// The rtattrs after a struct inet_diag_msg (include/uapi/linux/inet_diag.h) that the exporter reads: INET_DIAG_INFO
/// (struct tcp_info) and INET_DIAG_PROTOCOL. Destroy events always carry both; a dump carries INFO only when the
/// request asked for it (idiag_ext). Pure: every length is checked before a slice.
/// </summary>
public static class InetDiagAttributes
{
    // enum in inet_diag.h: INET_DIAG_NONE 0, MEMINFO 1, INFO 2, …, PROTOCOL 10.
    internal const ushort INET_DIAG_INFO = 2, INET_DIAG_PROTOCOL = 10;
    internal const byte IPPROTO_TCP = 6;
    private const int RtAttrHeaderLength = 4;   // struct rtattr: u16 rta_len, u16 rta_type

    /// <summary>The idiag_ext bit of a request that asks for INET_DIAG_INFO (the kernel tests 1 &lt;&lt; (type - 1)).</summary>
    public const byte InfoExtension = 1 << (INET_DIAG_INFO - 1);

    /// <summary>Walks the attributes; false when one's length is below its header or beyond the message.</summary>
    /// <param name="protocol">INET_DIAG_PROTOCOL's value, 0 when absent.</param>
    public static bool TryFindInfo(ReadOnlySpan<byte> attributes, out ReadOnlySpan<byte> info, out bool hasInfo, out byte protocol)
    {
        info = default;
        hasInfo = false;
        protocol = 0;
        while (attributes.Length >= RtAttrHeaderLength)
        {
            ushort length = MemoryMarshal.Read<ushort>(attributes);
            ushort type = MemoryMarshal.Read<ushort>(attributes[2..]);
            if (length < RtAttrHeaderLength || length > attributes.Length)
                return false;
            ReadOnlySpan<byte> value = attributes[RtAttrHeaderLength..length];
            if (type == INET_DIAG_PROTOCOL && value.Length >= 1)
                protocol = value[0];
            else if (type == INET_DIAG_INFO)
            {
                info = value;
                hasInfo = true;
            }
            int aligned = (length + 3) & ~3;   // RTA_ALIGN; the last attribute may end unpadded
            attributes = attributes[Math.Min(aligned, attributes.Length)..];
        }
        return true;
    }
}

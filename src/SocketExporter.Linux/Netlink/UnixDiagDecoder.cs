using System.Runtime.InteropServices;
using System.Text;
using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Linux.Netlink;

/// <summary>Decodes struct unix_diag_msg and its attributes (include/uapi/linux/unix_diag.h).</summary>
public sealed class UnixDiagDecoder : IDiagDecoder<UnixSocketEntry>
{
    private const int MsgLength = 16;   // family, type, state, pad (u8 each), ino u32, cookie u32[2]
    private const ushort UNIX_DIAG_NAME = 0, UNIX_DIAG_PEER = 2, UNIX_DIAG_RQLEN = 4;

    public static bool TryDecode(ReadOnlySpan<byte> payload, SocketProtocol protocol, out UnixSocketEntry entry)
    {
        entry = null!;
        if (payload.Length < MsgLength || payload[0] != 1)
            return false;
        byte type = payload[1], state = payload[2];
        if (type is not (1 or 2 or 5) || !SocketStateNames.IsKnown(state))
            return false;
        uint inode = MemoryMarshal.Read<uint>(payload[4..]);

        string? name = null;
        uint peer = 0, rqueue = 0, wqueue = 0;
        bool queues = false;
        ReadOnlySpan<byte> attributes = payload[MsgLength..];
        while (attributes.Length >= 4)
        {
            // struct rtattr { u16 rta_len; u16 rta_type; }, padded to 4 bytes.
            ushort length = MemoryMarshal.Read<ushort>(attributes);
            ushort attributeType = MemoryMarshal.Read<ushort>(attributes[2..]);
            if (length < 4 || length > attributes.Length)
                return false;   // an attribute overrunning its message: do not guess
            ReadOnlySpan<byte> value = attributes[4..length];
            switch (attributeType)
            {
                case UNIX_DIAG_NAME when value.Length > 0:
                    name = DecodeName(value);
                    break;
                case UNIX_DIAG_PEER when value.Length >= 4:
                    peer = MemoryMarshal.Read<uint>(value);
                    break;
                case UNIX_DIAG_RQLEN when value.Length >= 8:
                    rqueue = MemoryMarshal.Read<uint>(value);
                    wqueue = MemoryMarshal.Read<uint>(value[4..]);
                    queues = true;
                    break;
            }
            int aligned = (length + 3) & ~3;
            attributes = aligned >= attributes.Length ? default : attributes[aligned..];
        }
        entry = new UnixSocketEntry((UnixSocketType)type, (SocketState)state, inode, name, peer, rqueue, wqueue, queues);
        return true;
    }

    /// <summary>A path ends at its NUL; an abstract name starts with NUL and may contain more, which ss prints as '@'.</summary>
    public static string DecodeName(ReadOnlySpan<byte> value)
    {
        if (value[0] != 0)
        {
            int nul = value.IndexOf((byte)0);
            return Encoding.UTF8.GetString(nul < 0 ? value : value[..nul]);
        }
        var text = Encoding.UTF8.GetString(value[1..]).Replace('\0', '@');
        return "@" + text;
    }
}

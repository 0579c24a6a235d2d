using System.Buffers.Binary;
using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Linux.ProcFs;

/// <summary>
/// Parses /proc/net/{tcp,tcp6,udp,udp6}, the fallback when sock_diag is unavailable. The text has no backlog
/// for listeners (tx_queue reads 0), so listen-queue limits from this source are unknown.
/// </summary>
public static class ProcNetSocketParser
{
    //   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
    //    0: 0100007F:1F90 00000000:0000 0A 00000000:00000003 00:00000000 00000000     0        0 12345 ...
    // (1)   (2)           (3)           (4) (5)              (6)         (7)          (8)      (9) (10)
    public static bool TryParseLine(ReadOnlySpan<byte> line, SocketProtocol protocol, SocketFamily family, int lineNumber,
        out SocketEntry entry, out ParseError error)
    {
        entry = default;
        var f = new FieldCursor(line, firstField: 1);
        if (!f.TryNext(out ReadOnlySpan<byte> slot) || slot.IsEmpty || slot[^1] != (byte)':')
            return Fail("sl", 1, out error);
        if (!f.TryNext(out ReadOnlySpan<byte> local) || !TryParseEndpoint(local, family, out InetAddress localAddress, out ushort localPort))
            return Fail("local_address", 2, out error);
        if (!f.TryNext(out ReadOnlySpan<byte> remote) || !TryParseEndpoint(remote, family, out InetAddress remoteAddress, out ushort remotePort))
            return Fail("rem_address", 3, out error);
        if (!f.TryNextHexUInt32(out uint state) || state > byte.MaxValue || !SocketStateNames.IsKnown((byte)state))
            return Fail("st", 4, out error);
        if (!f.TryNext(out ReadOnlySpan<byte> queues) || !TryParseHexPair(queues, out uint txQueue, out uint rxQueue))
            return Fail("tx_queue:rx_queue", 5, out error);
        // The kernel prints the uid with %5u: any 32-bit value is legal.
        if (!f.TrySkip(2) || !f.TryNextUInt64(out ulong uid) || uid > uint.MaxValue)
            return Fail("uid", 8, out error);
        if (!f.TrySkip(1) || !f.TryNextUInt64(out ulong inode))
            return Fail("inode", 10, out error);

        entry = new SocketEntry(protocol, family, (SocketState)state, localAddress, localPort, remoteAddress, remotePort,
            ReceiveQueue: rxQueue, SendQueue: txQueue, Uid: (uint)uid, Inode: inode);
        error = default;
        return true;

        bool Fail(string name, int field, out ParseError e)
        {
            e = new ParseError($"/proc/net {name}", lineNumber, field);
            return false;
        }
    }

    // "0100007F:1F90": the address is the in-memory (network-order) bytes printed as host-order 32-bit words,
    // so on little-endian machines each word reads byte-reversed; the port is printed after ntohs.
    private static bool TryParseEndpoint(ReadOnlySpan<byte> text, SocketFamily family, out InetAddress address, out ushort port)
    {
        address = default;
        port = 0;
        int words = family == SocketFamily.Ipv4 ? 1 : 4;
        int colon = text.IndexOf((byte)':');
        if (colon != words * 8 || text.Length - colon - 1 != 4)
            return false;
        Span<byte> bytes = stackalloc byte[16];
        bytes.Clear();
        for (int i = 0; i < words; i++)
        {
            if (!TryParseHex(text.Slice(i * 8, 8), out uint word))
                return false;
            if (BitConverter.IsLittleEndian)
                BinaryPrimitives.WriteUInt32LittleEndian(bytes[(i * 4)..], word);
            else
                BinaryPrimitives.WriteUInt32BigEndian(bytes[(i * 4)..], word);
        }
        if (!TryParseHex(text[(colon + 1)..], out uint portValue))
            return false;
        address = InetAddress.FromBytes(bytes);
        port = (ushort)portValue;
        return true;
    }

    private static bool TryParseHexPair(ReadOnlySpan<byte> text, out uint first, out uint second)
    {
        second = 0;
        int colon = text.IndexOf((byte)':');
        first = 0;
        return colon > 0 && TryParseHex(text[..colon], out first) && TryParseHex(text[(colon + 1)..], out second);
    }

    private static bool TryParseHex(ReadOnlySpan<byte> text, out uint value) =>
        System.Buffers.Text.Utf8Parser.TryParse(text, out value, out int used, 'X') && used == text.Length && used > 0;
}

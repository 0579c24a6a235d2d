using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Linux.ProcFs;

/// <summary>Parses /proc/net/packet (net/packet/af_packet.c, packet_seq_show), the AF_PACKET sockets of a namespace.</summary>
public static class ProcNetPacketParser
{
    //   sk               RefCnt Type Proto  Iface R Rmem   User   Inode
    //   000000004fdf02e0 2      3    0003   1     0 0      0      503922
    //   (1)              (2)    (3)  (4)    (5)   (6) (7)  (8)    (9)
    // sk is a kernel pointer (%pK: zeros when hidden); Proto is ntohs(po->num) in hex; Iface 0 means every interface.
    public static bool TryParseLine(ReadOnlySpan<byte> line, int lineNumber, out RawSocketEntry entry, out ParseError error)
    {
        entry = default;
        var f = new FieldCursor(line, firstField: 1);
        if (!f.TrySkip(2))
            return Fail("sk", 1, out error);
        if (!f.TryNextInt32(out int type) || type is < 0 or > byte.MaxValue)
            return Fail("Type", 3, out error);
        if (!f.TryNextHexUInt32(out uint protocol) || protocol > ushort.MaxValue)
            return Fail("Proto", 4, out error);
        // -1 once the interface it was bound to is unregistered (af_packet.c, packet_notifier: NETDEV_UNREGISTER).
        if (!f.TryNext(out ReadOnlySpan<byte> iface) || !TryParseIfindex(iface, out int ifindex))
            return Fail("Iface", 5, out error);
        if (!f.TrySkip(2) || !f.TryNextUInt64(out ulong uid) || uid > uint.MaxValue)
            return Fail("User", 8, out error);
        if (!f.TryNextUInt64(out ulong inode))
            return Fail("Inode", 9, out error);
        entry = new RawSocketEntry(RawSocketKind.Packet, SocketFamily.Packet, (ushort)protocol, (byte)type, ifindex, (uint)uid, inode);
        error = default;
        return true;

        bool Fail(string name, int field, out ParseError e)
        {
            e = new ParseError($"/proc/net/packet {name}", lineNumber, field);
            return false;
        }
    }

    private static bool TryParseIfindex(ReadOnlySpan<byte> text, out int ifindex)
    {
        if (text.SequenceEqual("-1"u8))
        {
            ifindex = GoneInterface;
            return true;
        }
        return int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out ifindex);
    }

    /// <summary>The ifindex of a packet socket whose interface was unregistered while it stayed open.</summary>
    public const int GoneInterface = -1;

    public static ProcNetTableResult Parse(ReadOnlySpan<byte> text, List<RawSocketEntry> sink) =>
        ProcNetTable.ParseLines(text, TryParseLine, sink);
}

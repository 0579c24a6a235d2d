using System.Buffers.Text;
using System.Text;
using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Linux.ProcFs;

/// <summary>
/// Parses /proc/net/unix, the fallback for unix_diag. It has no peers and no queues, so only listeners and
/// sockets bound to a name (the server side of accepted connections) can be placed.
/// </summary>
public static class ProcNetUnixParser
{
    private const uint SO_ACCEPTCON = 0x10000;   // __SO_ACCEPTCON in Flags: the socket listens

    // Num               RefCount Protocol Flags    Type St Inode Path
    // 0000000000000000: 00000002 00000000 00010000 0001 01 616872 /tmp/listen.sock
    public static bool TryParseLine(ReadOnlySpan<byte> line, int lineNumber, out UnixSocketEntry entry, out ParseError error)
    {
        entry = null!;
        var f = new FieldCursor(line, firstField: 1);
        if (!f.TryNext(out ReadOnlySpan<byte> num) || num.IsEmpty || num[^1] != (byte)':')
            return Fail(1, out error);
        if (!f.TrySkip(2) || !f.TryNextHexUInt32(out uint flags))
            return Fail(4, out error);
        if (!f.TryNextHexUInt32(out uint type) || type is not (1 or 2 or 5))
            return Fail(5, out error);
        if (!f.TryNextHexUInt32(out uint st) || st > 4)
            return Fail(6, out error);
        if (!f.TryNextUInt64(out ulong inode))
            return Fail(7, out error);
        // (8) Path: the rest of the line — a socket path may contain spaces.
        ReadOnlySpan<byte> path = f.Remaining.TrimEnd((byte)'\r');
        string? name = path.IsEmpty ? null : Encoding.UTF8.GetString(path);

        SocketState state = (flags & SO_ACCEPTCON) != 0 ? SocketState.Listen
            : st == 3 ? SocketState.Established
            : st == 2 ? SocketState.SynSent
            : SocketState.Close;
        entry = new UnixSocketEntry((UnixSocketType)type, state, inode, name, 0, 0, 0, QueuesKnown: false);
        error = default;
        return true;

        bool Fail(int field, out ParseError e)
        {
            e = new ParseError("/proc/net/unix", lineNumber, field);
            return false;
        }
    }

    public static ProcNetTableResult Parse(ReadOnlySpan<byte> text, List<UnixSocketEntry> sink) =>
        ProcNetTable.ParseLines<UnixSocketEntry>(text, TryParseLine, sink);
}

using System.Buffers.Text;
using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Linux.ProcFs;

/// <summary>/proc/net/netstat: pairs of lines, "TcpExt: Name Name …" then "TcpExt: value value …".</summary>
public static class ProcNetstatParser
{
    private static ReadOnlySpan<byte> TcpExt => "TcpExt:"u8;

    /// <summary>
    /// Reads ListenOverflows (a connection found the accept queue full) and ListenDrops (every SYN or final ACK
    /// a listener dropped, overflows included) from the TcpExt lines, by name, not by position: the kernel adds
    /// counters over time.
    /// </summary>
    public static bool TryParseListenDrops(ReadOnlySpan<byte> text, out ListenDropCounters counters, out ParseError error)
    {
        counters = default;
        int line = 1;
        while (!text.IsEmpty)
        {
            int end = text.IndexOf((byte)'\n');
            ReadOnlySpan<byte> names = end < 0 ? text : text[..end];
            text = end < 0 ? default : text[(end + 1)..];
            if (!names.StartsWith(TcpExt))
            {
                line++;
                continue;
            }
            end = text.IndexOf((byte)'\n');
            ReadOnlySpan<byte> values = end < 0 ? text : text[..end];
            if (!values.StartsWith(TcpExt))
            {
                error = new("netstat", line + 1, 0);   // a names line without its values line
                return false;
            }
            var nameCursor = new FieldCursor(names[TcpExt.Length..], firstField: 2);
            var valueCursor = new FieldCursor(values[TcpExt.Length..], firstField: 2);
            ulong? overflows = null, drops = null;
            while (nameCursor.TryNext(out ReadOnlySpan<byte> name))
            {
                if (!valueCursor.TryNext(out ReadOnlySpan<byte> value))
                {
                    error = new("netstat", line + 1, nameCursor.FieldNumber - 1);   // fewer values than names
                    return false;
                }
                bool wanted = name.SequenceEqual("ListenOverflows"u8) || name.SequenceEqual("ListenDrops"u8);
                if (!wanted)
                    continue;
                if (!Utf8Parser.TryParse(value, out ulong number, out int used) || used != value.Length)
                {
                    error = new("netstat", line + 1, valueCursor.FieldNumber - 1);
                    return false;
                }
                if (name[6] == (byte)'O') overflows = number; else drops = number;
            }
            if (overflows is null || drops is null)
            {
                error = new("netstat", line, 0);   // an old or odd kernel without these counters
                return false;
            }
            counters = new ListenDropCounters(overflows.Value, drops.Value);
            error = default;
            return true;
        }
        error = new("netstat", line, 0);
        return false;
    }
}

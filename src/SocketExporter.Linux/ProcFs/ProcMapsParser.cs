using System.Buffers.Text;
using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Linux.ProcFs;

public static class ProcMapsParser
{
    /// <summary>
    /// Counts the file-backed mappings of /proc/[pid]/maps per filesystem:
    /// "7f1c2a000000-7f1c2a021000 r--p 00000000 fd:01 1234 /usr/lib/libc.so.6" — (4) dev is "major:minor" in hex,
    /// (5) inode 0 means an anonymous mapping. Bad lines are counted, never thrown on.
    /// </summary>
    public static int CountMappings(ReadOnlySpan<byte> text, Dictionary<FilesystemId, int> counts)
    {
        int bad = 0;
        while (!text.IsEmpty)
        {
            int end = text.IndexOf((byte)'\n');
            ReadOnlySpan<byte> line = end < 0 ? text : text[..end];
            text = end < 0 ? default : text[(end + 1)..];
            if (line.IsEmpty)
                continue;
            var f = new FieldCursor(line, firstField: 1);
            if (!f.TrySkip(3) || !f.TryNext(out ReadOnlySpan<byte> dev) || !f.TryNextUInt64(out ulong inode))
            {
                bad++;
                continue;
            }
            if (inode == 0)
                continue;
            int colon = dev.IndexOf((byte)':');
            if (colon <= 0 || !Utf8Parser.TryParse(dev[..colon], out uint major, out int u1, 'x') || u1 != colon
                || !Utf8Parser.TryParse(dev[(colon + 1)..], out uint minor, out int u2, 'x') || u2 != dev.Length - colon - 1)
            {
                bad++;
                continue;
            }
            var id = new FilesystemId(major, minor);
            counts[id] = counts.GetValueOrDefault(id) + 1;
        }
        return bad;
    }
}

using System.Buffers.Text;

namespace SocketExporter.Linux.ProcFs;

public static class ProcLimitsParser
{
    private static ReadOnlySpan<byte> MaxOpenFiles => "Max open files"u8;

    /// <summary>
    /// Reads the soft limit of "Max open files" from /proc/[pid]/limits
    /// ("Max open files            1024                 524288               files").
    /// "unlimited" becomes <see cref="long.MaxValue"/>.
    /// </summary>
    public static bool TryParseOpenFilesSoftLimit(ReadOnlySpan<byte> text, out long limit, out ParseError error)
    {
        limit = 0;
        int line = 1;
        while (!text.IsEmpty)
        {
            int end = text.IndexOf((byte)'\n');
            ReadOnlySpan<byte> current = end < 0 ? text : text[..end];
            if (current.StartsWith(MaxOpenFiles))
            {
                var f = new FieldCursor(current[MaxOpenFiles.Length..], firstField: 2);
                if (f.TryNext(out ReadOnlySpan<byte> soft))
                {
                    if (soft.SequenceEqual("unlimited"u8))
                    {
                        limit = long.MaxValue;
                        error = default;
                        return true;
                    }
                    if (Utf8Parser.TryParse(soft, out limit, out int used) && used == soft.Length && limit >= 0)
                    {
                        error = default;
                        return true;
                    }
                }
                error = new("limits", line, 2);
                return false;
            }
            text = end < 0 ? default : text[(end + 1)..];
            line++;
        }
        error = new("limits", line, 0);
        return false;
    }
}

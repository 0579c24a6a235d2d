using System.Buffers.Text;

namespace SocketExporter.Linux.ProcFs;

public static class ProcStatusParser
{
    private static ReadOnlySpan<byte> UidKey => "Uid:"u8;

    /// <summary>Reads the effective uid (second number of the "Uid:" line: real, effective, saved, fs) of
    /// /proc/[pid]/status; the effective uid is what ps shows as USER.</summary>
    public static bool TryParseEffectiveUid(ReadOnlySpan<byte> text, out uint uid, out ParseError error)
    {
        uid = 0;
        int line = 1;
        while (!text.IsEmpty)
        {
            int end = text.IndexOf((byte)'\n');
            ReadOnlySpan<byte> current = end < 0 ? text : text[..end];
            if (current.StartsWith(UidKey))
            {
                var f = new FieldCursor(current[UidKey.Length..], firstField: 1);
                if (f.TrySkip(1) && f.TryNext(out ReadOnlySpan<byte> euid)
                    && Utf8Parser.TryParse(euid, out uid, out int used) && used == euid.Length)
                {
                    error = default;
                    return true;
                }
                error = new("status", line, 2);
                return false;
            }
            text = end < 0 ? default : text[(end + 1)..];
            line++;
        }
        error = new("status", line, 0);
        return false;
    }
}

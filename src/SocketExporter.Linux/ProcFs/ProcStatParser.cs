using System.Buffers.Text;
using System.Text;

namespace SocketExporter.Linux.ProcFs;

public static class ProcStatParser
{
    /// <summary>Parses /proc/[pid]/stat. Numbers in comments are proc_pid_stat(5) field numbers.</summary>
    public static bool TryParse(ReadOnlySpan<byte> text, out ProcStat stat, out ParseError error)
    {
        stat = default;
        // (2) comm may itself contain ' ' and ')' (a process can name itself anything), so it ends at the LAST ')'.
        int open = text.IndexOf((byte)'('), close = text.LastIndexOf((byte)')');
        if (open < 2 || close < open)
        {
            error = new("stat", 1, 2);
            return false;
        }
        // (1) pid: unsigned digits, then exactly one space before "(".
        ReadOnlySpan<byte> pidText = text[..(open - 1)];
        if (text[open - 1] != (byte)' ' || pidText.IsEmpty || pidText.IndexOfAnyExceptInRange((byte)'0', (byte)'9') >= 0
            || !Utf8Parser.TryParse(pidText, out int pid, out int used) || used != pidText.Length)
        {
            error = new("stat", 1, 1);
            return false;
        }
        var f = new FieldCursor(text[(close + 1)..].TrimEnd((byte)'\n'), firstField: 3);
        if (!f.TryNextChar(out char state) || !f.TryNextInt32(out int ppid)     // (3) (4)
            || !f.TrySkip(17) || !f.TryNextUInt64(out ulong start))             // (5)..(21) (22)
        {
            error = new("stat", 1, f.FieldNumber);
            return false;
        }
        stat = new(pid, Encoding.UTF8.GetString(text[(open + 1)..close]), state, ppid, start);
        error = default;
        return true;
    }
}

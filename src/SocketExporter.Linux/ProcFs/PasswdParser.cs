using System.Buffers.Text;
using System.Text;

namespace SocketExporter.Linux.ProcFs;

public static class PasswdParser
{
    /// <summary>Parses /etc/passwd ("name:x:uid:gid:gecos:home:shell") into uid → name; bad lines are skipped
    /// and counted. The first name for a uid wins, as getpwuid does.</summary>
    public static Dictionary<uint, string> Parse(ReadOnlySpan<byte> text, out int badLines)
    {
        var users = new Dictionary<uint, string>();
        badLines = 0;
        while (!text.IsEmpty)
        {
            int end = text.IndexOf((byte)'\n');
            ReadOnlySpan<byte> line = end < 0 ? text : text[..end];
            text = end < 0 ? default : text[(end + 1)..];
            if (line.IsEmpty || line[0] == (byte)'#')
                continue;
            int first = line.IndexOf((byte)':');
            if (first <= 0) { badLines++; continue; }
            ReadOnlySpan<byte> afterName = line[(first + 1)..];
            int second = afterName.IndexOf((byte)':');
            if (second < 0) { badLines++; continue; }
            ReadOnlySpan<byte> uidAndRest = afterName[(second + 1)..];
            int third = uidAndRest.IndexOf((byte)':');
            ReadOnlySpan<byte> uidText = third < 0 ? uidAndRest : uidAndRest[..third];
            if (!Utf8Parser.TryParse(uidText, out uint uid, out int used) || used != uidText.Length || used == 0)
            {
                badLines++;
                continue;
            }
            users.TryAdd(uid, Encoding.UTF8.GetString(line[..first]));
        }
        return users;
    }
}

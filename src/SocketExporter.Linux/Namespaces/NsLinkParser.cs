using System.Buffers.Text;

namespace SocketExporter.Linux.Namespaces;

public static class NsLinkParser
{
    private static ReadOnlySpan<byte> NetPrefix => "net:["u8;

    /// <summary>Parses the target of /proc/[pid]/ns/net ("net:[4026531840]") into the namespace inode.</summary>
    public static bool TryParseNet(ReadOnlySpan<byte> target, out ulong inode)
    {
        inode = 0;
        if (!target.StartsWith(NetPrefix) || target.Length < NetPrefix.Length + 2 || target[^1] != (byte)']')
            return false;
        ReadOnlySpan<byte> digits = target[NetPrefix.Length..^1];
        return Utf8Parser.TryParse(digits, out inode, out int used) && used == digits.Length && inode != 0;
    }
}

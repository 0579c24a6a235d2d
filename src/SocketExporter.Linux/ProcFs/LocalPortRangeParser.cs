using System.Globalization;
using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Linux.ProcFs;

/// <summary>/proc/sys/net/ipv4/ip_local_port_range: two numbers separated by a tab, e.g. "32768\t60999\n".</summary>
public static class LocalPortRangeParser
{
    public static bool TryParse(ReadOnlySpan<byte> text, out EphemeralPortRange range, out ParseError error)
    {
        range = default;
        var fields = new FieldCursor(text.TrimEnd("\n"u8), firstField: 1);
        if (!fields.TryNext(out ReadOnlySpan<byte> first)
            || !ushort.TryParse(first, NumberStyles.None, CultureInfo.InvariantCulture, out ushort low))
        {
            error = new("ip_local_port_range", 1, 1);
            return false;
        }
        // The kernel refuses a range whose end is below its start (ipv4_local_port_range() in sysctl_net_ipv4.c):
        // such text, or anything after the second number, is not this file.
        if (!fields.TryNext(out ReadOnlySpan<byte> second)
            || !ushort.TryParse(second, NumberStyles.None, CultureInfo.InvariantCulture, out ushort high) || high < low)
        {
            error = new("ip_local_port_range", 1, 2);
            return false;
        }
        if (!fields.Remaining.IsEmpty)
        {
            error = new("ip_local_port_range", 1, 3);
            return false;
        }
        range = new EphemeralPortRange(low, high);
        error = default;
        return true;
    }
}

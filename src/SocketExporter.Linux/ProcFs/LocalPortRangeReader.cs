using SocketExporter.Linux.Interop;
using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Linux.ProcFs;

/// <summary>
/// Reads net.ipv4.ip_local_port_range for the network namespace of the calling thread. Net sysctls are resolved
/// by the namespace of the thread that opens the file (net_ctl_header_lookup() uses current->nsproxy), not by the
/// proc mount or a pid in the path: another namespace's range can only be read by a thread that entered it.
/// </summary>
public static class LocalPortRangeReader
{
    /// <summary>The sysctl's path below a proc mount.</summary>
    public const string RelativePath = "sys/net/ipv4/ip_local_port_range";

    /// <returns>The range, or null and why not.</returns>
    public static EphemeralPortRange? Read(ProcFileReader files, string procRoot, out ReadFailure? error)
    {
        string path = Path.Combine(procRoot, RelativePath);
        int errno = files.TryRead(null, path, out ReadOnlySpan<byte> text);
        if (errno != 0)
        {
            error = new ReadFailure(path, errno);
            return null;
        }
        if (!LocalPortRangeParser.TryParse(text, out EphemeralPortRange range, out ParseError parseError))
        {
            error = new ReadFailure(path, Detail: parseError.ToString());
            return null;
        }
        error = null;
        return range;
    }
}

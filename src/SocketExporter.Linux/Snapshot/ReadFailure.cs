using SocketExporter.Linux.Interop;

namespace SocketExporter.Linux.Snapshot;

/// <summary>
/// Why something could not be read: what was being read or called (a path, "setns", "recv"), the errno the kernel
/// returned (0 when the failure is not an errno: a malformed file, a missing process), and a detail. A value: two
/// failures with equal parts are the same failure, which is how the read problem log tells a namespace's own reason
/// from its tables'. Turned into text only where it is shown (the log, the landing page, a collector's error).
/// </summary>
public sealed record ReadFailure(string What, int Errno = 0, string? Detail = null)
{
    /// <summary>"/proc/1/net/netstat: EACCES: permission denied", "setns: EPERM: …: no CAP_SYS_ADMIN", "/proc/net/netstat: line 2, field 3".</summary>
    public override string ToString()
    {
        string text = Errno == 0 ? What : $"{What}: {Interop.Errno.Describe(Errno)}";
        return Detail is null ? text : $"{text}: {Detail}";
    }
}

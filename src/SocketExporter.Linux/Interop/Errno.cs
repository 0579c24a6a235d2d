using System.Runtime.InteropServices;

namespace SocketExporter.Linux.Interop;

public static class Errno
{
    /// <summary>"EACCES (13): Permission denied"-style text for logs and error labels.</summary>
    public static string Describe(int errno) => errno switch
    {
        Constants.EPERM => "EPERM: operation not permitted",
        Constants.ENOENT => "ENOENT: no such file or directory",
        Constants.ESRCH => "ESRCH: no such process",
        Constants.EACCES => "EACCES: permission denied",
        Constants.EINVAL => "EINVAL: invalid argument",
        Constants.EAGAIN => "EAGAIN: timed out",
        Constants.EPROTONOSUPPORT => "EPROTONOSUPPORT: protocol not supported",
        Constants.EAFNOSUPPORT => "EAFNOSUPPORT: address family not supported",
        _ => $"errno {errno}: {Marshal.GetPInvokeErrorMessage(errno)}",
    };
}

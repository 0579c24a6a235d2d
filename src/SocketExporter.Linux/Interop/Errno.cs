using System.Runtime.InteropServices;

namespace SocketExporter.Linux.Interop;

public static class Errno
{
    /// <summary>File too large (asm-generic/errno-base.h): <see cref="RegularFile"/> stopped at its cap.</summary>
    public const int EFBIG = Constants.EFBIG;

    /// <summary>Not an errno the kernel returns (those stay below 4096): <see cref="RegularFile"/> refused a FIFO,
    /// device, socket or directory where a regular file was expected.</summary>
    public const int NotRegularFile = 0x10000;

    /// <summary>"EACCES (13): Permission denied"-style text for logs and error labels.</summary>
    public static string Describe(int errno) => errno switch
    {
        Constants.EPERM => "EPERM: operation not permitted",
        Constants.ENOENT => "ENOENT: no such file or directory",
        Constants.ESRCH => "ESRCH: no such process",
        Constants.EACCES => "EACCES: permission denied",
        Constants.EINVAL => "EINVAL: invalid argument",
        Constants.EFBIG => "EFBIG: file too large",
        NotRegularFile => "not a regular file (a FIFO, device, socket or directory)",
        Constants.EAGAIN => "EAGAIN: timed out",
        Constants.EPROTONOSUPPORT => "EPROTONOSUPPORT: protocol not supported",
        Constants.EAFNOSUPPORT => "EAFNOSUPPORT: address family not supported",
        _ => $"errno {errno}: {Marshal.GetPInvokeErrorMessage(errno)}",
    };
}

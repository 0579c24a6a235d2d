using System.Runtime.InteropServices;

namespace SocketExporter.Linux.Interop;

/// <summary>An owned file descriptor. -1 is invalid; fd 0 is a valid descriptor.</summary>
public sealed class SafeFd : SafeHandle
{
    public SafeFd() : base(-1, ownsHandle: true) { }

    internal SafeFd(int fd) : base(-1, ownsHandle: true) => SetHandle(fd);

    public override bool IsInvalid => handle == -1;

    protected override bool ReleaseHandle() => Libc.Close((int)handle) == 0;
}

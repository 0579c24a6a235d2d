using System.Runtime.InteropServices;

namespace SocketExporter.Linux.Interop;

/// <summary>Kernel and libc constants, named as in the headers they come from.</summary>
internal static class Constants
{
    // asm-generic/errno-base.h, errno.h
    internal const int EPERM = 1, ENOENT = 2, ESRCH = 3, EINTR = 4, EIO = 5, EACCES = 13, ENOTDIR = 20,
        EINVAL = 22, EFBIG = 27, EAGAIN = 11, EPROTONOSUPPORT = 93, EAFNOSUPPORT = 97;

    // asm-generic/fcntl.h. O_DIRECTORY differs per architecture: arm64 uses 0x4000, x86_64 0x10000.
    internal const int O_RDONLY = 0, O_NOCTTY = 0x100, O_NONBLOCK = 0x800, O_CLOEXEC = 0x80000;
    internal static readonly int O_DIRECTORY =
        RuntimeInformation.ProcessArchitecture is Architecture.Arm64 or Architecture.Arm ? 0x4000 : 0x10000;

    // linux/socket.h, linux/netlink.h
    internal const int AF_UNIX = 1, AF_INET = 2, AF_INET6 = 10, AF_NETLINK = 16;
    internal const int SOCK_RAW = 3, SOCK_DGRAM = 2, SOCK_CLOEXEC = 0x80000;
    internal const int NETLINK_SOCK_DIAG = 4;
    internal const int SOL_SOCKET = 1, SO_RCVTIMEO = 20;
    internal const int MSG_TRUNC = 0x20;
    // asm-generic/socket.h, linux/socket.h, asm-generic/errno.h, asm-generic/poll.h: the destroy-event subscription.
    internal const int SO_RCVBUF = 8, SO_RCVBUFFORCE = 33, MSG_DONTWAIT = 0x40, ENOBUFS = 105;
    internal const short POLLIN = 0x1;

    // linux/sched.h
    internal const int CLONE_NEWNET = 0x40000000;

    // linux/fcntl.h, linux/stat.h
    internal const int AT_SYMLINK_NOFOLLOW = 0x100, AT_STATX_DONT_SYNC = 0x4000, AT_EMPTY_PATH = 0x1000;
    internal const uint STATX_TYPE = 0x1, STATX_MODE = 0x2, STATX_INO = 0x100, STATX_MTIME = 0x40, STATX_CTIME = 0x80, STATX_SIZE = 0x200;
    internal const int S_IFMT = 0xF000, S_IFSOCK = 0xC000, S_IFREG = 0x8000, S_IFBLK = 0x6000, S_IFDIR = 0x4000,
        S_IFCHR = 0x2000, S_IFIFO = 0x1000, S_IFLNK = 0xA000;

    // asm-generic/errno.h: readlink of an fd whose path is longer than d_path's one-page buffer (PATH_MAX).
    internal const int ENAMETOOLONG = 36;

    // linux/magic.h: statfs f_type of a proc filesystem.
    internal const long PROC_SUPER_MAGIC = 0x9fa0;
}

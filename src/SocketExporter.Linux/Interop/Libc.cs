using System.Runtime.InteropServices;

namespace SocketExporter.Linux.Interop;

/// <summary>
/// The only place that declares native imports or touches raw descriptors. Each wrapper returns
/// the errno of an expected failure instead of throwing: procfs races (ENOENT, ESRCH) are normal.
/// </summary>
internal static unsafe partial class Libc
{
    private const string Lib = "libc";

    [LibraryImport(Lib, EntryPoint = "close", SetLastError = true)]
    internal static partial int Close(int fd);

    [LibraryImport(Lib, EntryPoint = "open", SetLastError = true)]
    private static partial int OpenRaw(byte* path, int flags, int mode);

    [LibraryImport(Lib, EntryPoint = "openat", SetLastError = true)]
    private static partial int OpenAtRaw(SafeFd dirFd, byte* path, int flags, int mode);

    [LibraryImport(Lib, EntryPoint = "read", SetLastError = true)]
    private static partial nint ReadRaw(SafeFd fd, byte* buf, nuint count);

    // Fills buf with linux_dirent64 records; returns 0 at the end of the directory. Needs glibc >= 2.30.
    [LibraryImport(Lib, EntryPoint = "getdents64", SetLastError = true)]
    private static partial nint GetDents64Raw(SafeFd dirFd, byte* buf, nuint count);

    // Does not NUL-terminate; a result equal to bufSize means the target may be truncated.
    [LibraryImport(Lib, EntryPoint = "readlinkat", SetLastError = true)]
    private static partial nint ReadLinkAtRaw(SafeFd dirFd, byte* path, byte* buf, nuint bufSize);

    [LibraryImport(Lib, EntryPoint = "socket", SetLastError = true)]
    private static partial int SocketRaw(int domain, int type, int protocol);

    [LibraryImport(Lib, EntryPoint = "send", SetLastError = true)]
    private static partial nint SendRaw(SafeFd fd, byte* buf, nuint len, int flags);

    [LibraryImport(Lib, EntryPoint = "recv", SetLastError = true)]
    private static partial nint RecvRaw(SafeFd fd, byte* buf, nuint len, int flags);

    [LibraryImport(Lib, EntryPoint = "setsockopt", SetLastError = true)]
    private static partial int SetSockOptRaw(SafeFd fd, int level, int name, void* value, uint len);

    // Changes the network namespace of the calling OS thread only: NetNsWorker is the only caller.
    [LibraryImport(Lib, EntryPoint = "setns", SetLastError = true)]
    private static partial int SetNsRaw(SafeFd nsFd, int nsType);

    internal static int SetNs(SafeFd nsFd, int nsType) => SetNsRaw(nsFd, nsType) < 0 ? Marshal.GetLastPInvokeError() : 0;

    [LibraryImport(Lib, EntryPoint = "statx", SetLastError = true)]
    private static partial int StatxRaw(SafeFd dirFd, byte* path, int flags, uint mask, StatxBuffer* buf);

    /// <summary>Opens a NUL-terminated path relative to <paramref name="dirFd"/> (or absolute).</summary>
    internal static int OpenAt(SafeFd? dirFd, ReadOnlySpan<byte> pathZ, int flags, out SafeFd fd)
    {
        fixed (byte* p = pathZ)
        {
            int result = dirFd is null ? OpenRaw(p, flags | Constants.O_CLOEXEC, 0) : OpenAtRaw(dirFd, p, flags | Constants.O_CLOEXEC, 0);
            if (result < 0)
            {
                fd = new SafeFd();
                return Marshal.GetLastPInvokeError();
            }
            fd = new SafeFd(result);
            return 0;
        }
    }

    internal static int Read(SafeFd fd, Span<byte> buffer, out int bytesRead)
    {
        fixed (byte* p = buffer)
        {
            nint n;
            do { n = ReadRaw(fd, p, (nuint)buffer.Length); }
            while (n < 0 && Marshal.GetLastPInvokeError() == Constants.EINTR);
            bytesRead = n < 0 ? 0 : (int)n;
            return n < 0 ? Marshal.GetLastPInvokeError() : 0;
        }
    }

    internal static int GetDents64(SafeFd dirFd, Span<byte> buffer, out int bytesRead)
    {
        fixed (byte* p = buffer)
        {
            nint n = GetDents64Raw(dirFd, p, (nuint)buffer.Length);
            bytesRead = n < 0 ? 0 : (int)n;
            return n < 0 ? Marshal.GetLastPInvokeError() : 0;
        }
    }

    internal static int ReadLinkAt(SafeFd dirFd, ReadOnlySpan<byte> nameZ, Span<byte> target, out int length)
    {
        fixed (byte* n = nameZ)
        fixed (byte* t = target)
        {
            nint r = ReadLinkAtRaw(dirFd, n, t, (nuint)target.Length);
            length = r < 0 ? 0 : (int)r;
            return r < 0 ? Marshal.GetLastPInvokeError() : 0;
        }
    }

    internal static int Socket(int domain, int type, int protocol, out SafeFd fd)
    {
        int result = SocketRaw(domain, type | Constants.SOCK_CLOEXEC, protocol);
        if (result < 0)
        {
            fd = new SafeFd();
            return Marshal.GetLastPInvokeError();
        }
        fd = new SafeFd(result);
        return 0;
    }

    internal static int Send(SafeFd fd, ReadOnlySpan<byte> data)
    {
        fixed (byte* p = data)
        {
            nint n;
            do { n = SendRaw(fd, p, (nuint)data.Length, 0); }
            while (n < 0 && Marshal.GetLastPInvokeError() == Constants.EINTR);
            if (n < 0) return Marshal.GetLastPInvokeError();
            return n == data.Length ? 0 : Constants.EIO;
        }
    }

    /// <summary>recv with MSG_TRUNC: <paramref name="datagramLength"/> is the datagram's real length, which
    /// exceeds the buffer when the kernel had to cut it.</summary>
    internal static int Recv(SafeFd fd, Span<byte> buffer, out int datagramLength)
    {
        fixed (byte* p = buffer)
        {
            nint n;
            do { n = RecvRaw(fd, p, (nuint)buffer.Length, Constants.MSG_TRUNC); }
            while (n < 0 && Marshal.GetLastPInvokeError() == Constants.EINTR);
            datagramLength = n < 0 ? 0 : (int)n;
            return n < 0 ? Marshal.GetLastPInvokeError() : 0;
        }
    }

    internal static int SetReceiveTimeout(SafeFd fd, TimeSpan timeout)
    {
        // struct timeval { long tv_sec; long tv_usec; } on 64-bit Linux.
        long* tv = stackalloc long[2];
        tv[0] = (long)timeout.TotalSeconds;
        tv[1] = timeout.Milliseconds * 1000L;
        return SetSockOptRaw(fd, Constants.SOL_SOCKET, Constants.SO_RCVTIMEO, tv, 16) < 0 ? Marshal.GetLastPInvokeError() : 0;
    }

    [LibraryImport(Lib, EntryPoint = "bind", SetLastError = true)]
    private static partial int BindRaw(SafeFd fd, byte* address, uint length);

    [LibraryImport(Lib, EntryPoint = "getsockopt", SetLastError = true)]
    private static partial int GetSockOptRaw(SafeFd fd, int level, int name, void* value, uint* len);

    [LibraryImport(Lib, EntryPoint = "poll", SetLastError = true)]
    private static partial int PollRaw(PollFd* fds, nuint count, int timeoutMs);

    // struct pollfd (poll.h): int fd; short events; short revents.
    private struct PollFd
    {
        public int Fd;
        public short Events, REvents;
    }

    /// <summary>Binds a netlink socket to the multicast groups in <paramref name="groups"/> (bit n-1 = group n). struct
    /// sockaddr_nl (linux/netlink.h): u16 nl_family, u16 pad, u32 nl_pid (0: the kernel assigns one), u32 nl_groups.</summary>
    internal static int BindNetlinkGroups(SafeFd fd, uint groups)
    {
        byte* address = stackalloc byte[12];
        *(ushort*)address = (ushort)Constants.AF_NETLINK;
        *(ushort*)(address + 2) = 0;
        *(uint*)(address + 4) = 0;
        *(uint*)(address + 8) = groups;
        return BindRaw(fd, address, 12) < 0 ? Marshal.GetLastPInvokeError() : 0;
    }

    internal static int SetSockOptInt(SafeFd fd, int level, int name, int value) =>
        SetSockOptRaw(fd, level, name, &value, sizeof(int)) < 0 ? Marshal.GetLastPInvokeError() : 0;

    internal static int GetSockOptInt(SafeFd fd, int level, int name, out int value)
    {
        int v = 0;
        uint len = sizeof(int);
        int errno = GetSockOptRaw(fd, level, name, &v, &len) < 0 ? Marshal.GetLastPInvokeError() : 0;
        value = v;
        return errno;
    }

    /// <summary>recv without blocking: EAGAIN when nothing is queued, ENOBUFS once after the kernel dropped messages
    /// because the receive buffer was full. <paramref name="datagramLength"/> is the real length (MSG_TRUNC).</summary>
    internal static int RecvNonBlocking(SafeFd fd, Span<byte> buffer, out int datagramLength)
    {
        fixed (byte* p = buffer)
        {
            nint n;
            do { n = RecvRaw(fd, p, (nuint)buffer.Length, Constants.MSG_TRUNC | Constants.MSG_DONTWAIT); }
            while (n < 0 && Marshal.GetLastPInvokeError() == Constants.EINTR);
            datagramLength = n < 0 ? 0 : (int)n;
            return n < 0 ? Marshal.GetLastPInvokeError() : 0;
        }
    }

    /// <summary>Waits until one of <paramref name="fds"/> is readable or <paramref name="timeoutMs"/> passes; sets
    /// <paramref name="readable"/>[i]. Each descriptor is referenced for the call, so a concurrent Dispose closes it
    /// only after poll returned (a closed and reused fd number is never polled).</summary>
    internal static int Poll(IReadOnlyList<SafeFd> fds, Span<bool> readable, int timeoutMs)
    {
        int count = fds.Count;
        PollFd* entries = stackalloc PollFd[Math.Max(count, 1)];
        var added = new bool[count];
        try
        {
            for (int i = 0; i < count; i++)
            {
                bool ok = false;
                if (!fds[i].IsClosed)
                {
                    try { fds[i].DangerousAddRef(ref ok); }
                    catch (ObjectDisposedException) { ok = false; }
                }
                added[i] = ok;
                entries[i] = new PollFd { Fd = ok ? (int)fds[i].DangerousGetHandle() : -1, Events = Constants.POLLIN, REvents = 0 };   // poll ignores fd -1
            }
            int n;
            do { n = PollRaw(entries, (nuint)count, timeoutMs); }
            while (n < 0 && Marshal.GetLastPInvokeError() == Constants.EINTR);
            if (n < 0)
                return Marshal.GetLastPInvokeError();
            for (int i = 0; i < count; i++)
                readable[i] = entries[i].REvents != 0;
            return 0;
        }
        finally
        {
            for (int i = 0; i < count; i++)
                if (added[i])
                    fds[i].DangerousRelease();
        }
    }

    private const int AT_FDCWD = -100;

    [LibraryImport(Lib, EntryPoint = "statx", SetLastError = true)]
    private static partial int StatxCwdRaw(int dirFd, byte* path, int flags, uint mask, StatxBuffer* buf);

    /// <summary>statx of an absolute path, not following a final symlink.</summary>
    internal static int StatxNoFollow(ReadOnlySpan<byte> absolutePathZ, out StatxBuffer result)
    {
        fixed (byte* p = absolutePathZ)
        fixed (StatxBuffer* r = &result)
        {
            return StatxCwdRaw(AT_FDCWD, p, Constants.AT_SYMLINK_NOFOLLOW | Constants.AT_STATX_DONT_SYNC,
                Constants.STATX_TYPE, r) < 0 ? Marshal.GetLastPInvokeError() : 0;
        }
    }

    /// <summary>statx of an absolute path, following symlinks (the file a path finally names).</summary>
    internal static int StatxFollow(ReadOnlySpan<byte> absolutePathZ, out StatxBuffer result,
        uint mask = Constants.STATX_TYPE | Constants.STATX_INO)
    {
        fixed (byte* p = absolutePathZ)
        fixed (StatxBuffer* r = &result)
        {
            return StatxCwdRaw(AT_FDCWD, p, Constants.AT_STATX_DONT_SYNC, mask, r) < 0 ? Marshal.GetLastPInvokeError() : 0;
        }
    }

    internal static int Statx(SafeFd dirFd, ReadOnlySpan<byte> pathZ, int flags, uint mask, out StatxBuffer result)
    {
        fixed (byte* p = pathZ)
        fixed (StatxBuffer* r = &result)
        {
            return StatxRaw(dirFd, p, flags, mask, r) < 0 ? Marshal.GetLastPInvokeError() : 0;
        }
    }

    // include/uapi/linux/sockios.h: SIOCGIFNAME maps ifr_ifindex to ifr_name. struct ifreq (linux/if.h) is
    // char ifr_name[IFNAMSIZ = 16] followed by a union (int ifr_ifindex at its start) of 24 bytes on 64-bit.
    private const nuint SIOCGIFNAME = 0x8910;
    private const int IFNAMSIZ = 16, IfreqLength = 40;

    [LibraryImport(Lib, EntryPoint = "ioctl", SetLastError = true)]
    private static partial int IoctlRaw(SafeFd fd, nuint request, void* argument);

    /// <summary>The name of interface <paramref name="ifindex"/> in the network namespace of <paramref name="socketFd"/>'s
    /// socket (the kernel resolves it in sock_net(sk), not in the calling thread's namespace). ENODEV when no such
    /// interface exists.</summary>
    internal static int InterfaceName(SafeFd socketFd, int ifindex, out string name)
    {
        byte* ifreq = stackalloc byte[IfreqLength];
        new Span<byte>(ifreq, IfreqLength).Clear();
        *(int*)(ifreq + IFNAMSIZ) = ifindex;
        int result;
        do { result = IoctlRaw(socketFd, SIOCGIFNAME, ifreq); }
        while (result < 0 && Marshal.GetLastPInvokeError() == Constants.EINTR);
        if (result < 0)
        {
            name = "";
            return Marshal.GetLastPInvokeError();
        }
        var bytes = new ReadOnlySpan<byte>(ifreq, IFNAMSIZ);
        int end = bytes.IndexOf((byte)0);
        name = System.Text.Encoding.UTF8.GetString(end < 0 ? bytes : bytes[..end]);
        return 0;
    }

    [LibraryImport(Lib, EntryPoint = "fstatfs", SetLastError = true)]
    private static partial int FStatFsRaw(SafeFd fd, byte* buf);

    // struct statfs (bits/statfs.h) is 120 bytes on x86_64 and arm64; room to spare for any 64-bit ABI.
    private const int StatfsBufferSize = 256;

    /// <summary>f_type of the filesystem <paramref name="fd"/> lives on (PROC_SUPER_MAGIC for procfs). f_type is the first
    /// member of struct statfs, a long (__fsword_t) on 64-bit Linux.</summary>
    internal static int FStatFsType(SafeFd fd, out long type)
    {
        byte* buf = stackalloc byte[StatfsBufferSize];
        if (FStatFsRaw(fd, buf) < 0)
        {
            type = 0;
            return Marshal.GetLastPInvokeError();
        }
        type = *(long*)buf;
        return 0;
    }
}

using SocketExporter.Linux.Interop;
using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Linux.ProcFs;

public enum FdWalkStatus
{
    Read,
    /// <summary>The process exited during the walk (ENOENT/ESRCH): normal, skip it.</summary>
    Vanished,
    /// <summary>EACCES/EPERM on the fd directory or its links: counted, its sockets stay unattributed.</summary>
    Denied,
    /// <summary>Any other errno (EMFILE, EIO…): counted as a failed read.</summary>
    Failed,
}

/// <summary>
/// The one pass over /proc/[pid]/fd per scrape: one readlinkat per descriptor (where Directory.Enumerate* also
/// lstat()s and stat()s each link and can hang on a dead network mount), by number while the table is dense and
/// through getdents64 past that (<see cref="Probe"/>). Only path
/// targets get a statx, with AT_STATX_DONT_SYNC so a remote filesystem is not asked to revalidate.
/// </summary>
public sealed class FdWalker
{
    private const int PathMax = 4096;   // linux/limits.h PATH_MAX, including the NUL readlink does not write
    private readonly byte[] _entries = new byte[32 * 1024];
    private readonly byte[] _target;

    public FdWalker() : this(PathMax) { }

    /// <summary>A smaller link buffer lets tests reach the truncation path with short fixture links.</summary>
    internal FdWalker(int targetBufferSize) => _target = new byte[targetBufferSize];

    /// <summary>Walks /proc/<paramref name="pid"/>/fd into <paramref name="sink"/>, as its current process
    /// (<see cref="FdWalkSink.StartProcess"/> first).</summary>
    public FdWalkStatus Walk(SafeFd procRoot, int pid, FdWalkSink sink)
    {
        Span<byte> path = stackalloc byte[32];
        int length = PathBytes.WritePidPath(path, pid, "/fd"u8);
        int errno = Libc.OpenAt(procRoot, path[..length], Constants.O_RDONLY | Constants.O_DIRECTORY, out SafeFd fdDir);
        if (errno != 0)
            return Classify(errno);
        using (fdDir)
        {
            FdWalkStatus? probed = Probe(procRoot, fdDir, sink, out int probedUpTo);
            if (probed is FdWalkStatus done)
            {
                Paths = (Paths.Probed + 1, Paths.Listed);
                return done;
            }
            Paths = (Paths.Probed, Paths.Listed + 1);
            while (true)
            {
                errno = Libc.GetDents64(fdDir, _entries, out int read);
                if (errno != 0)
                    return Classify(errno);
                if (read == 0)
                    return FdWalkStatus.Read;
                var entries = new DirectoryEntries(_entries.AsSpan(0, read));
                while (entries.MoveNext())
                {
                    if (probedUpTo >= 0 && ParseFd(entries.Name) is int fd && fd <= probedUpTo)
                        continue;   // already read by Probe
                    errno = ReadOne(fdDir, entries.NameZ, sink);
                    if (errno is Constants.ESRCH or Constants.EACCES or Constants.EPERM)
                        return Classify(errno);   // about the process (gone, or ptrace access denied), not this one fd
                }
            }
        }
    }

    // How many descriptor numbers Probe may find closed before it leaves the rest to getdents64.
    private const int ProbeMisses = 32;
    private SafeFd? _checkedRoot;
    private bool _rootIsProcfs;

    /// <summary>Processes whose table was read by number alone, and those that needed the directory listing (tests).</summary>
    internal (int Probed, int Listed) Paths { get; private set; }

    /// <summary>
    /// Reads descriptors 0, 1, 2… by number until it has read as many as the directory says are open: since Linux 6.2
    /// stat() of /proc/PID/fd gives that count as its size (a popcount of the open-fd bitmap). Descriptor tables are
    /// dense (the kernel hands out the lowest free number), so this reads them without listing the directory, whose
    /// getdents64 costs a dentry lookup per descriptor: about a tenth of a scrape's CPU with 100,000 sockets. After
    /// <see cref="ProbeMisses"/> closed numbers (a sparse table, descriptors closed meanwhile) it stops and returns null
    /// with the highest number it tried; the caller lists the directory for the numbers above it. Null with -1: not
    /// tried (a size of 0 means an older kernel, or no descriptors, which the listing shows as cheaply).
    /// </summary>
    private FdWalkStatus? Probe(SafeFd fdDirRoot, SafeFd fdDir, FdWalkSink sink, out int probedUpTo)
    {
        probedUpTo = -1;
        // Only procfs gives the count as a directory's size: a copied tree (--path.procfs on a fixture) gives bytes.
        if (!ReferenceEquals(fdDirRoot, _checkedRoot))
        {
            _checkedRoot = fdDirRoot;
            _rootIsProcfs = Libc.FStatFsType(fdDirRoot, out long type) == 0 && type == Constants.PROC_SUPER_MAGIC;
        }
        if (!_rootIsProcfs)
            return null;
        if (Libc.Statx(fdDir, EmptyPathZ, Constants.AT_EMPTY_PATH, Constants.STATX_SIZE, out StatxBuffer stx) != 0
            || stx.Size == 0 || stx.Size > int.MaxValue)
            return null;
        int open = (int)stx.Size, found = 0, misses = 0;
        Span<byte> name = stackalloc byte[12];
        for (int fd = 0; ; fd++)
        {
            probedUpTo = fd;
            int errno = ReadOne(fdDir, FdName(name, fd), sink);
            if (errno == Constants.ENOENT)
            {
                if (++misses > ProbeMisses)
                    return null;
                continue;
            }
            if (errno is Constants.ESRCH or Constants.EACCES or Constants.EPERM)
                return Classify(errno);
            if (++found == open)
                return FdWalkStatus.Read;
        }
    }

    private static ReadOnlySpan<byte> EmptyPathZ => "\0"u8;

    // The NUL-terminated decimal name of descriptor `fd`.
    private static ReadOnlySpan<byte> FdName(Span<byte> buffer, int fd)
    {
        fd.TryFormat(buffer, out int written, default, System.Globalization.CultureInfo.InvariantCulture);
        buffer[written] = 0;
        return buffer[..(written + 1)];
    }

    private static int? ParseFd(ReadOnlySpan<byte> name) =>
        System.Buffers.Text.Utf8Parser.TryParse(name, out int fd, out int consumed) && consumed == name.Length ? fd : null;

    /// <summary>Reads one descriptor's link into the sink. Returns 0, ENOENT (closed: nothing counted), or the errno
    /// that is about the whole process (ESRCH, EACCES, EPERM); any other problem costs only this descriptor.</summary>
    private int ReadOne(SafeFd fdDir, ReadOnlySpan<byte> nameZ, FdWalkSink sink)
    {
        int errno = Libc.ReadLinkAt(fdDir, nameZ, _target, out int targetLength);
        if (errno is Constants.ENOENT or Constants.ESRCH or Constants.EACCES or Constants.EPERM)
            return errno;
        if (errno != 0 || targetLength == _target.Length)
        {
            // One descriptor costs only itself: an fd opened below a path longer than PATH_MAX gives
            // ENAMETOOLONG, and a full buffer may hold a cut target. statx still reaches the open file.
            FdReadProblem problem = errno == Constants.ENAMETOOLONG ? FdReadProblem.NameTooLong
                : errno == 0 ? FdReadProblem.Truncated : FdReadProblem.Failed;
            StatUnreadable(fdDir, nameZ, sink, problem);
            return 0;
        }
        ReadOnlySpan<byte> target = _target.AsSpan(0, targetLength);
        FdKind kind = FdTarget.Classify(target, out ulong socketInode, out bool needsStat);
        if (kind == FdKind.Socket && socketInode != 0)
            sink.Socket(socketInode);
        else if (kind == FdKind.Other && Namespaces.NsLinkParser.TryParseNet(target, out ulong netNs))
            sink.HeldNamespace(netNs);
        if (needsStat && sink.StatPaths)
            kind = StatKind(fdDir, nameZ, sink);
        sink.Count(kind);
        return 0;
    }

    /// <summary>Classifies a descriptor whose link text is unusable by statx alone, and counts why; one closed meanwhile
    /// (ENOENT) is neither counted nor a problem. Always statx'ed, whatever --no-statx says,
    /// because without the link text this is the only way to find a socket's inode.</summary>
    private static void StatUnreadable(SafeFd fdDir, ReadOnlySpan<byte> nameZ, FdWalkSink sink, FdReadProblem problem)
    {
        int errno = Libc.Statx(fdDir, nameZ, Constants.AT_STATX_DONT_SYNC, Constants.STATX_TYPE | Constants.STATX_INO, out StatxBuffer stx);
        if (errno == Constants.ENOENT)
            return;
        sink.Problem(problem);
        if (errno != 0)
        {
            sink.Unclassified();
            sink.Count(FdKind.Other);
            return;
        }
        FdKind kind = KindOf(stx, sink);
        // A socket's inode number is stx_ino of the sockfs inode the link follows to: the same number as "socket:[N]".
        if (kind == FdKind.Socket && stx.Ino != 0)
            sink.Socket(stx.Ino);
        sink.Count(kind);
    }

    private static FdKind StatKind(SafeFd fdDir, ReadOnlySpan<byte> nameZ, FdWalkSink sink)
    {
        // statx follows the fd link to the open file itself, even when its path was deleted.
        int errno = Libc.Statx(fdDir, nameZ, Constants.AT_STATX_DONT_SYNC, Constants.STATX_TYPE, out StatxBuffer stx);
        if (errno != 0)
            return FdKind.Other;
        return KindOf(stx, sink);
    }

    private static FdKind KindOf(in StatxBuffer stx, FdWalkSink sink)
    {
        // fuser -m: which filesystem the open file lives on (stx_dev is filled whatever the mask).
        sink.OpenFileOn(new FilesystemId(stx.DevMajor, stx.DevMinor));
        switch (stx.Mode & Constants.S_IFMT)
        {
            case Constants.S_IFREG: return FdKind.File;
            case Constants.S_IFDIR: return FdKind.Directory;
            case Constants.S_IFIFO: return FdKind.Pipe;
            case Constants.S_IFSOCK: return FdKind.Socket;
            case Constants.S_IFCHR:
                sink.Device(isBlock: false, stx.RdevMajor, stx.RdevMinor);
                return FdKind.CharDevice;
            case Constants.S_IFBLK:
                sink.Device(isBlock: true, stx.RdevMajor, stx.RdevMinor);
                return FdKind.BlockDevice;
            default: return FdKind.Other;
        }
    }

    private static FdWalkStatus Classify(int errno) => errno switch
    {
        Constants.ENOENT or Constants.ESRCH => FdWalkStatus.Vanished,
        Constants.EACCES or Constants.EPERM => FdWalkStatus.Denied,
        _ => FdWalkStatus.Failed,
    };
}

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
/// The one pass over /proc/[pid]/fd per scrape: getdents64 + readlinkat (one syscall per descriptor, where
/// Directory.Enumerate* also lstat()s and stat()s each link and can hang on a dead network mount). Only path
/// targets get a statx, with AT_STATX_DONT_SYNC so a remote filesystem is not asked to revalidate.
/// </summary>
public sealed class FdWalker
{
    private const int PathMax = 4096;   // linux/limits.h PATH_MAX, including the NUL readlink does not write
    private readonly byte[] _entries = new byte[32 * 1024];
    private readonly byte[] _target;

    /// <summary>Descriptors whose link could not be read, summed over every walk since the last <see cref="TakeProblems"/>.</summary>
    private FdReadProblems _problems;

    public FdWalker() : this(PathMax) { }

    /// <summary>A smaller link buffer lets tests reach the truncation path with short fixture links.</summary>
    internal FdWalker(int targetBufferSize) => _target = new byte[targetBufferSize];

    private readonly HashSet<ulong> _heldNetNs = [];

    /// <summary>Network namespaces held open through an nsfs descriptor ("net:[N]", e.g. a runtime keeping a namespace
    /// alive), seen by the walks since the last <see cref="ClearHeldNamespaces"/>.</summary>
    public IReadOnlySet<ulong> HeldNamespaces => _heldNetNs;

    public void ClearHeldNamespaces() => _heldNetNs.Clear();

    /// <summary>Returns the per-descriptor read problems counted so far and starts counting again (once per scrape).</summary>
    public FdReadProblems TakeProblems()
    {
        FdReadProblems taken = _problems;
        _problems = default;
        return taken;
    }

    public FdWalkStatus Walk(SafeFd procRoot, int pid, int processIndex, SocketOwnerIndex owners,
        ref FdKindCounts counts, List<DeviceHold>? devices, bool statPaths, Dictionary<FilesystemId, int>? filesystems = null)
    {
        Span<byte> path = stackalloc byte[32];
        int length = PathBytes.WritePidPath(path, pid, "/fd"u8);
        int errno = Libc.OpenAt(procRoot, path[..length], Constants.O_RDONLY | Constants.O_DIRECTORY, out SafeFd fdDir);
        if (errno != 0)
            return Classify(errno);
        using (fdDir)
        {
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
                    errno = Libc.ReadLinkAt(fdDir, entries.NameZ, _target, out int targetLength);
                    if (errno == Constants.ENOENT)
                        continue;   // the descriptor was closed after getdents64 listed it
                    if (errno is Constants.ESRCH or Constants.EACCES or Constants.EPERM)
                        return Classify(errno);   // about the process (gone, or ptrace access denied), not this one fd
                    if (errno != 0 || targetLength == _target.Length)
                    {
                        // One descriptor costs only itself: an fd opened below a path longer than PATH_MAX gives
                        // ENAMETOOLONG, and a full buffer may hold a cut target. statx still reaches the open file.
                        FdReadProblem problem = errno == Constants.ENAMETOOLONG ? FdReadProblem.NameTooLong
                            : errno == 0 ? FdReadProblem.Truncated : FdReadProblem.Failed;
                        StatUnreadable(fdDir, entries.NameZ, processIndex, owners, ref counts, devices, filesystems, problem);
                        continue;
                    }
                    ReadOnlySpan<byte> target = _target.AsSpan(0, targetLength);
                    FdKind kind = FdTarget.Classify(target, out ulong socketInode, out bool needsStat);
                    if (kind == FdKind.Socket && socketInode != 0)
                        owners.Add(socketInode, processIndex);
                    else if (kind == FdKind.Other && Namespaces.NsLinkParser.TryParseNet(target, out ulong netNs))
                        _heldNetNs.Add(netNs);
                    if (needsStat && statPaths)
                        kind = StatKind(fdDir, entries.NameZ, processIndex, devices, filesystems);
                    counts.Increment(kind);
                }
            }
        }
    }

    /// <summary>Classifies a descriptor whose link text is unusable by statx alone, and counts why; one closed meanwhile
    /// (ENOENT) is neither counted nor a problem. Always statx'ed, whatever --no-statx says,
    /// because without the link text this is the only way to find a socket's inode.</summary>
    private void StatUnreadable(SafeFd fdDir, ReadOnlySpan<byte> nameZ, int processIndex, SocketOwnerIndex owners,
        ref FdKindCounts counts, List<DeviceHold>? devices, Dictionary<FilesystemId, int>? filesystems, FdReadProblem problem)
    {
        int errno = Libc.Statx(fdDir, nameZ, Constants.AT_STATX_DONT_SYNC, Constants.STATX_TYPE | Constants.STATX_INO, out StatxBuffer stx);
        if (errno == Constants.ENOENT)
            return;
        _problems.Add(problem);
        if (errno != 0)
        {
            _problems.Unclassified++;
            counts.Increment(FdKind.Other);
            return;
        }
        FdKind kind = KindOf(stx, processIndex, devices, filesystems);
        // A socket's inode number is stx_ino of the sockfs inode the link follows to: the same number as "socket:[N]".
        if (kind == FdKind.Socket && stx.Ino != 0)
            owners.Add(stx.Ino, processIndex);
        counts.Increment(kind);
    }

    private static FdKind StatKind(SafeFd fdDir, ReadOnlySpan<byte> nameZ, int processIndex, List<DeviceHold>? devices,
        Dictionary<FilesystemId, int>? filesystems)
    {
        // statx follows the fd link to the open file itself, even when its path was deleted.
        int errno = Libc.Statx(fdDir, nameZ, Constants.AT_STATX_DONT_SYNC, Constants.STATX_TYPE, out StatxBuffer stx);
        if (errno != 0)
            return FdKind.Other;
        return KindOf(stx, processIndex, devices, filesystems);
    }

    private static FdKind KindOf(in StatxBuffer stx, int processIndex, List<DeviceHold>? devices, Dictionary<FilesystemId, int>? filesystems)
    {
        if (filesystems is not null)
        {
            // fuser -m: which filesystem the open file lives on (stx_dev is filled whatever the mask).
            var fs = new FilesystemId(stx.DevMajor, stx.DevMinor);
            filesystems[fs] = filesystems.GetValueOrDefault(fs) + 1;
        }
        switch (stx.Mode & Constants.S_IFMT)
        {
            case Constants.S_IFREG: return FdKind.File;
            case Constants.S_IFDIR: return FdKind.Directory;
            case Constants.S_IFIFO: return FdKind.Pipe;
            case Constants.S_IFSOCK: return FdKind.Socket;
            case Constants.S_IFCHR:
                devices?.Add(new DeviceHold(processIndex, IsBlock: false, stx.RdevMajor, stx.RdevMinor));
                return FdKind.CharDevice;
            case Constants.S_IFBLK:
                devices?.Add(new DeviceHold(processIndex, IsBlock: true, stx.RdevMajor, stx.RdevMinor));
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

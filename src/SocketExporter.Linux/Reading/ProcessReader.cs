using SocketExporter.Linux.Interop;
using SocketExporter.Linux.ProcFs;
using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Linux.Reading;

/// <summary>What reading one /proc/PID gave.</summary>
public enum ProcessReadStatus
{
    /// <summary>Everything was read.</summary>
    Read,
    /// <summary>The process exited (ENOENT/ESRCH) or is a zombie, which has no descriptors left: normal, not counted.</summary>
    Gone,
    /// <summary>EACCES/EPERM on its fd table, at openat or part-way: counted; all its sockets stay unattributed.</summary>
    FdsDenied,
    /// <summary>A file was malformed or a read failed with an unexpected errno (EMFILE, EIO…): counted; when it was the
    /// fd table, all its sockets stay unattributed.</summary>
    Failed,
}

/// <summary>
/// Reads one process at a time: /proc/PID/stat, status (the effective uid), cgroup, the fd table (into the walk's
/// <see cref="FdWalkSink"/>), limits, and what keeps a watched filesystem busy. Reuses its buffers from one process to
/// the next, so one reader serves one thread (a parallel walk gives each thread its own: see <see cref="WalkWorker"/>).
/// </summary>
internal sealed class ProcessReader(SnapshotOptions options, ProcFileReader files, ProcessIdentityCache identities, UserDirectory users)
{
    private readonly FdWalker _fdWalker = new();
    private readonly Dictionary<FilesystemId, int> _mapFilesystems = [];
    private static readonly (PathAccess, byte[])[] ProcessLinks =
        [(PathAccess.Cwd, "/cwd"u8.ToArray()), (PathAccess.Root, "/root"u8.ToArray()), (PathAccess.Exe, "/exe"u8.ToArray())];

    /// <summary>Reads process <paramref name="pid"/>, to become entry <paramref name="index"/> of the snapshot's processes.</summary>
    /// <returns>The entry to record, or null when there is nothing to record: its stat could not be read (it exited,
    /// or the read failed) or it is a zombie. An entry comes back whenever its fd table was opened, even when the process
    /// exited during the walk: its sockets are already in the owner index under <paramref name="index"/>. A table denied
    /// or failed, at once or part-way, leaves nothing in <paramref name="sink"/> (see below).</returns>
    public (ProcessReadStatus Status, ProcessEntry? Entry) Read(SafeFd procRoot, int pid, int index, FdWalkSink sink,
        List<WatchedPath> watches, List<PathHold> pathHolds)
    {
        Span<byte> path = stackalloc byte[32];
        int errno = files.TryRead(procRoot, path[..PathBytes.WritePidPath(path, pid, "/stat"u8)], out ReadOnlySpan<byte> statText);
        if (errno != 0)
            return (errno is Constants.ENOENT or Constants.ESRCH ? ProcessReadStatus.Gone : ProcessReadStatus.Failed, null);
        if (!ProcStatParser.TryParse(statText, out ProcStat stat, out _))
            return (ProcessReadStatus.Failed, null);
        if (stat.State == 'Z')
            return (ProcessReadStatus.Gone, null);   // a zombie has no descriptors left

        sink.StartProcess(index);
        FdWalkStatus walked = _fdWalker.Walk(procRoot, pid, sink);
        if (walked is FdWalkStatus.Denied or FdWalkStatus.Failed)
        {
            // A table is read whole or not at all. Access can be lost part-way: a process that clears its dumpable flag
            // (PR_SET_DUMPABLE 0, setuid, exec of a setuid binary) between two of our readlinkats makes the next one
            // EACCES, after some sockets were recorded. Kept, those holds would attribute a listener to a process that is
            // counted unreadable in the same scrape, and leave its other sockets unattributed as if it did not hold
            // them: a partial table presented as a complete one. Dropped, the process gives exactly what a table
            // denied at openat gives: counted once (unreadable or failed), its sockets unattributed.
            sink.ForgetProcess();
        }
        ProcessReadStatus status = walked switch
        {
            FdWalkStatus.Read => ProcessReadStatus.Read,
            FdWalkStatus.Vanished => ProcessReadStatus.Gone,
            FdWalkStatus.Denied => ProcessReadStatus.FdsDenied,
            _ => ProcessReadStatus.Failed,
        };
        if (sink.KeepsSomeSockets && sink.KeptSockets == 0)
        {
            // Holds none of the sockets asked about: not recorded, and its identity files are never opened.
            sink.ForgetProcessDevices();
            return (status, null);
        }
        // Read after the walk, so that a walk that keeps only some sockets reads it only for their holders.
        var entry = new ProcessEntry(ReadIdentity(procRoot, pid, stat, path));
        entry.Fds = sink.Counts;
        entry.FdsReadable = walked == FdWalkStatus.Read;
        if (walked == FdWalkStatus.Vanished)
        {
            sink.ForgetProcessDevices();
            return (ProcessReadStatus.Gone, entry);
        }
        if (watches.Count > 0)
            ReadPathHolds(procRoot, pid, index, sink, watches, pathHolds, path);
        if (walked == FdWalkStatus.Read && options.ReadFdLimits)
            entry.FdLimit = ReadFdLimit(procRoot, pid, path);
        return (status, entry);
    }

    private ProcessIdentity ReadIdentity(SafeFd procRoot, int pid, in ProcStat stat, Span<byte> path)
    {
        // Re-read every scrape (two small files): a cached identity must not outlive a setuid or a cgroup move.
        uint uid = ReadEffectiveUid(procRoot, pid, path);
        ReadOnlySpan<byte> cgroupText = ReadCgroupText(procRoot, pid, path);
        if (identities.TryGet(stat, uid, cgroupText, out ProcessIdentity identity))
            return identity;
        CgroupInfo cgroup = cgroupText.IsEmpty ? CgroupInfo.None : CgroupParser.Parse(System.Text.Encoding.UTF8.GetString(cgroupText));
        byte[] cgroupCopy = cgroupText.ToArray();
        identity = new ProcessIdentity(pid, pid.ToString(System.Globalization.CultureInfo.InvariantCulture), stat.Comm,
            uid, uid == uint.MaxValue ? "" : users.NameOf(uid), stat.StartTicks) { Cgroup = cgroup };
        identities.Add(identity, cgroupCopy);
        return identity;
    }

    // fuser -m: a process keeps a filesystem busy through open files, its cwd, its root, its executable and its mappings.
    private void ReadPathHolds(SafeFd procRoot, int pid, int index, FdWalkSink sink, List<WatchedPath> watches, List<PathHold> holds, Span<byte> path)
    {
        for (int w = 0; w < watches.Count; w++)
            if (sink.Filesystems!.TryGetValue(watches[w].Filesystem, out int n))
                holds.Add(new PathHold(index, w, PathAccess.Fd, n));
        foreach ((PathAccess access, byte[] suffix) in ProcessLinks)
        {
            int length = PathBytes.WritePidPath(path, pid, suffix);
            if (Libc.Statx(procRoot, path[..length], Constants.AT_STATX_DONT_SYNC, Constants.STATX_TYPE, out StatxBuffer stx) != 0)
                continue;   // kernel threads have no exe; a process may be gone
            var fs = new FilesystemId(stx.DevMajor, stx.DevMinor);
            for (int w = 0; w < watches.Count; w++)
                if (watches[w].Filesystem == fs)
                    holds.Add(new PathHold(index, w, access, 1));
        }
        _mapFilesystems.Clear();
        if (files.TryRead(procRoot, path[..PathBytes.WritePidPath(path, pid, "/maps"u8)], out ReadOnlySpan<byte> maps, ProcFileReader.TableLimit) == 0)
            ProcMapsParser.CountMappings(maps, _mapFilesystems);
        for (int w = 0; w < watches.Count; w++)
            if (_mapFilesystems.TryGetValue(watches[w].Filesystem, out int n))
                holds.Add(new PathHold(index, w, PathAccess.Mmap, n));
    }

    /// <summary>/proc/PID/cgroup, empty when unreadable; valid until the next read through <c>files</c>.</summary>
    private ReadOnlySpan<byte> ReadCgroupText(SafeFd procRoot, int pid, Span<byte> path) =>
        files.TryRead(procRoot, path[..PathBytes.WritePidPath(path, pid, "/cgroup"u8)], out ReadOnlySpan<byte> text) == 0
            ? text : default;

    private uint ReadEffectiveUid(SafeFd procRoot, int pid, Span<byte> path)
    {
        if (files.TryRead(procRoot, path[..PathBytes.WritePidPath(path, pid, "/status"u8)], out ReadOnlySpan<byte> text) == 0
            && ProcStatusParser.TryParseEffectiveUid(text, out uint uid, out _))
            return uid;
        return uint.MaxValue;
    }

    private long? ReadFdLimit(SafeFd procRoot, int pid, Span<byte> path)
    {
        if (files.TryRead(procRoot, path[..PathBytes.WritePidPath(path, pid, "/limits"u8)], out ReadOnlySpan<byte> text) == 0
            && ProcLimitsParser.TryParseOpenFilesSoftLimit(text, out long limit, out _))
            return limit;
        return null;
    }
}

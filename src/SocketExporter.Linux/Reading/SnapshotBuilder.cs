using System.Diagnostics;
using SocketExporter.Linux.Interop;
using SocketExporter.Linux.Namespaces;
using SocketExporter.Linux.ProcFs;
using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Linux.Reading;

/// <summary>
/// Builds one <see cref="ScrapeSnapshot"/>: the socket tables, then one pass over every process (stat, fd
/// table, limits). Not thread-safe: the scrape coordinator runs one build at a time, and a snapshot's lists are
/// reused by the next build, so a snapshot is valid until then.
/// </summary>
public sealed class SnapshotBuilder : IDisposable
{
    private readonly SnapshotOptions _options;
    private readonly ProcFileReader _files = new();
    private readonly PidLister _pidLister = new();
    private readonly FdWalker _fdWalker = new();
    private readonly ProcessIdentityCache _identities = new();
    private readonly UserDirectory _users;
    private readonly NetNsSocketReader _namespaceSockets;
    private readonly NetNsDiscovery _discovery;
    private readonly byte[] _procRootZ;
    private readonly DeviceNodeIndex _deviceNodes;
    private int _lastProcessCount = 64;
    // Reused across scrapes (large-object-heap sized on busy hosts); a snapshot is valid until the next Build.
    private readonly SocketOwnerIndex _owners = new();

    public SnapshotBuilder(SnapshotOptions options)
    {
        _options = options;
        _users = new UserDirectory(options.ProcfsPath, _files);
        _namespaceSockets = new NetNsSocketReader(options.ProcfsPath, options.ProcNetOnly, options.UseSetns);
        _discovery = new NetNsDiscovery(options.ProcfsPath);
        _procRootZ = PathBytes.ToNulTerminated(options.ProcfsPath);
        _deviceNodes = new DeviceNodeIndex(options.ProcfsPath);
    }

    /// <param name="cancellation">Abandons the build (it throws).</param>
    /// <param name="pastDeadline">Asked as the build goes: once true, it stops reading more and returns what it has — the
    /// process walk skips the remaining processes and other network namespaces not yet read are skipped, each counted
    /// in the snapshot (<see cref="ScrapeSnapshot.SkippedProcesses"/>, <see cref="ScrapeSnapshot.SkippedNamespaces"/>),
    /// so that a scrape answers within Prometheus's timeout with what could be read, and says what is missing.</param>
    public ScrapeSnapshot Build(CancellationToken cancellation, Func<bool>? pastDeadline = null)
    {
        var clock = Stopwatch.StartNew();
        int skipped = 0;
        SocketOwnerIndex owners = _owners;
        owners.Clear();
        var processes = new List<ProcessEntry>(_lastProcessCount + 16);
        var devices = new List<DeviceHold>();
        (List<WatchedPath> watches, List<string> watchErrors) = ResolveWatches();
        var pathHolds = new List<PathHold>();
        int unreadable = 0, failed = 0;
        string? processError = null;
        var pids = new List<int>(_lastProcessCount + 16);
        _fdWalker.TakeProblems();   // a build abandoned by cancellation left its counts behind
        _fdWalker.ClearHeldNamespaces();
        int descriptorOnlyNamespaces = 0;

        int errno = Libc.OpenAt(null, _procRootZ, Constants.O_RDONLY | Constants.O_DIRECTORY, out SafeFd procRoot);
        if (errno != 0)
            processError = $"{_options.ProcfsPath}: {Errno.Describe(errno)}";
        else if ((errno = _pidLister.List(procRoot, pids)) != 0)
            processError = $"{_options.ProcfsPath}: listing pids: {Errno.Describe(errno)}";
        ProcRootStatus? procRootStatus = null;
        if (processError is null)
        {
            // Every scrape: a mount can be replaced under a running exporter. No process directory at all is an
            // error, not a host without processes; a copy (not procfs, but with pid directories) is read and reported.
            if ((errno = Libc.FStatFsType(procRoot, out long fsType)) != 0)
                processError = $"{_options.ProcfsPath}: statfs: {Errno.Describe(errno)}";
            else if ((procRootStatus = ProcRootStatus.Judge(fsType, pids.Count)).Value.Kind == ProcRootKind.NoProcesses)
                processError = procRootStatus.Value.Problem(_options.ProcfsPath);
        }

        double socketSeconds = 0;
        int threadOnlyNamespaces;
        Task<List<NetNsSnapshot>> socketRead;
        using (procRoot)
        {
            // Namespaces first (one readlink per pid), then the socket dumps — mostly kernel time walking the socket
            // hash tables — run on a second thread while this one walks /proc; the two join on the socket inode.
            NetNsDiscovery.Result discovery = _discovery.Discover(procRoot, processError is null ? pids : [], _options.AllNamespaces);
            threadOnlyNamespaces = discovery.ThreadOnly;
            socketRead = Task.Factory.StartNew(() =>
            {
                var socketClock = Stopwatch.StartNew();
                IReadOnlyList<NetNsTarget> targets = _options.NamespaceFilter is { } keep
                    ? discovery.Targets.Where(t => keep(t.Label)).ToList()
                    : discovery.Targets;
                List<NetNsSnapshot> result = _namespaceSockets.Read(targets, pastDeadline);
                socketSeconds = socketClock.Elapsed.TotalSeconds;
                return result;
            }, CancellationToken.None, TaskCreationOptions.DenyChildAttach, TaskScheduler.Default);

            try
            {
                var labels = discovery.Targets.ToDictionary(t => t.Inode, t => t.Label);
                int walked = 0;
                foreach (int pid in processError is null ? pids : [])
                {
                    cancellation.ThrowIfCancellationRequested();
                    if (pastDeadline is not null && pastDeadline())
                    {
                        skipped = pids.Count - walked;
                        break;
                    }
                    walked++;
                    switch (ReadProcess(procRoot, pid, processes, owners, devices, watches, pathHolds))
                    {
                        case FdWalkStatus.Denied: unreadable++; break;
                        case FdWalkStatus.Failed: failed++; break;
                    }
                    if (processes.Count > 0 && processes[^1].Pid == pid && discovery.PidNamespaces.TryGetValue(pid, out ulong ns))
                        processes[^1].NetNs = labels.TryGetValue(ns, out string? label) ? label : ns.ToString(System.Globalization.CultureInfo.InvariantCulture);
                }
                // Namespaces held only through an nsfs descriptor: no process or thread is in one, so none was read.
                if (_options.AllNamespaces)
                    foreach (ulong held in _fdWalker.HeldNamespaces)
                        if (!labels.ContainsKey(held))
                            descriptorOnlyNamespaces++;
            }
            finally
            {
                // The socket thread fills this builder's reused buffers: however the walk ended (cancelled, or a bug
                // thrown), it must finish before anyone builds again.
                ((IAsyncResult)socketRead).AsyncWaitHandle.WaitOne();
            }
        }
        // Processes the walk did not reach keep their identities for the next scrape; the others that were not seen are gone.
        _identities.Rotate(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(pids)[(pids.Count - skipped)..]);
        double processSeconds = clock.Elapsed.TotalSeconds;
        List<NetNsSnapshot> namespaces = socketRead.GetAwaiter().GetResult();
        _lastProcessCount = processes.Count;

        return new ScrapeSnapshot
        {
            Namespaces = namespaces,
            Processes = processes,
            Owners = owners,
            DeviceHolds = devices,
            DeviceNames = devices.Count == 0 ? new Dictionary<DeviceNumber, string>()
                : _deviceNodes.Resolve(devices.Select(d => d.Device)),
            ProcessError = processError,
            ProcRoot = procRootStatus,
            ThreadOnlyNamespaces = threadOnlyNamespaces,
            DescriptorOnlyNamespaces = descriptorOnlyNamespaces,
            Watches = watches,
            WatchErrors = watchErrors,
            PathHolds = pathHolds,
            UnreadableProcesses = unreadable,
            FailedProcesses = failed,
            UnreadableDescriptors = _fdWalker.TakeProblems(),
            SkippedProcesses = skipped,
            SocketReadSeconds = socketSeconds,
            ProcessReadSeconds = processSeconds,
        };
    }

    private FdWalkStatus ReadProcess(SafeFd procRoot, int pid, List<ProcessEntry> processes, SocketOwnerIndex owners, List<DeviceHold> devices,
        List<WatchedPath> watches, List<PathHold> pathHolds)
    {
        Span<byte> path = stackalloc byte[32];
        int errno = _files.TryRead(procRoot, path[..PathBytes.WritePidPath(path, pid, "/stat"u8)], out ReadOnlySpan<byte> statText);
        if (errno != 0)
            return errno is Constants.ENOENT or Constants.ESRCH ? FdWalkStatus.Vanished : FdWalkStatus.Failed;
        if (!ProcStatParser.TryParse(statText, out ProcStat stat, out _))
            return FdWalkStatus.Failed;
        if (stat.State == 'Z')
            return FdWalkStatus.Vanished;   // a zombie has no descriptors left

        // Re-read every scrape (two small files): a cached identity must not outlive a setuid or a cgroup move.
        uint uid = ReadEffectiveUid(procRoot, pid, path);
        ReadOnlySpan<byte> cgroupText = ReadCgroupText(procRoot, pid, path);
        if (!_identities.TryGet(stat, uid, cgroupText, out ProcessIdentity identity))
        {
            // Before the user lookup: it may read /etc/passwd through the same buffer cgroupText points into.
            CgroupInfo cgroup = cgroupText.IsEmpty ? CgroupInfo.None : CgroupParser.Parse(System.Text.Encoding.UTF8.GetString(cgroupText));
            byte[] cgroupCopy = cgroupText.ToArray();
            identity = new ProcessIdentity(pid, pid.ToString(System.Globalization.CultureInfo.InvariantCulture), stat.Comm,
                uid, uid == uint.MaxValue ? "" : _users.NameOf(uid), stat.StartTicks) { Cgroup = cgroup };
            _identities.Add(identity, cgroupCopy);
        }

        var entry = new ProcessEntry(identity);
        int index = processes.Count;
        int deviceCount = devices.Count;
        Dictionary<FilesystemId, int>? filesystems = null;
        if (watches.Count > 0)
        {
            filesystems = _fdFilesystems;
            filesystems.Clear();
        }
        FdWalkStatus status = _fdWalker.Walk(procRoot, pid, index, owners, ref entry.Fds, devices, _options.ClassifyPathDescriptors, filesystems);
        if (watches.Count > 0 && status != FdWalkStatus.Vanished)
            ReadPathHolds(procRoot, pid, index, watches, pathHolds, path);
        if (status == FdWalkStatus.Vanished)
        {
            // Its sockets may already be in the index under this index; keep the entry so they still resolve.
            devices.RemoveRange(deviceCount, devices.Count - deviceCount);
        }
        entry.FdsReadable = status == FdWalkStatus.Read;
        if (_options.ReadFdLimits && status == FdWalkStatus.Read)
            entry.FdLimit = ReadFdLimit(procRoot, pid, path);
        processes.Add(entry);
        return status;
    }

    private readonly Dictionary<FilesystemId, int> _fdFilesystems = [], _mapFilesystems = [];
    private static readonly (PathAccess, byte[])[] ProcessLinks =
        [(PathAccess.Cwd, "/cwd"u8.ToArray()), (PathAccess.Root, "/root"u8.ToArray()), (PathAccess.Exe, "/exe"u8.ToArray())];

    // fuser -m: a process keeps a filesystem busy through open files, its cwd, its root, its executable and its mappings.
    private void ReadPathHolds(SafeFd procRoot, int pid, int index, List<WatchedPath> watches, List<PathHold> holds, Span<byte> path)
    {
        for (int w = 0; w < watches.Count; w++)
            if (_fdFilesystems.TryGetValue(watches[w].Filesystem, out int n))
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
        if (_files.TryRead(procRoot, path[..PathBytes.WritePidPath(path, pid, "/maps"u8)], out ReadOnlySpan<byte> maps, ProcFileReader.TableLimit) == 0)
            ProcMapsParser.CountMappings(maps, _mapFilesystems);
        for (int w = 0; w < watches.Count; w++)
            if (_mapFilesystems.TryGetValue(watches[w].Filesystem, out int n))
                holds.Add(new PathHold(index, w, PathAccess.Mmap, n));
    }

    /// <summary>The filesystem of each watched path, re-resolved every scrape (a mount can come and go).</summary>
    private (List<WatchedPath>, List<string>) ResolveWatches()
    {
        var watches = new List<WatchedPath>(_options.WatchPaths.Count);
        var errors = new List<string>();
        foreach (string watch in _options.WatchPaths)
        {
            int errno = Libc.StatxFollow(PathBytes.ToNulTerminated(watch), out StatxBuffer stx);
            if (errno == 0)
                watches.Add(new WatchedPath(watch, new FilesystemId(stx.DevMajor, stx.DevMinor)));
            else
                errors.Add(watch);
        }
        return (watches, errors);
    }

    /// <summary>/proc/PID/cgroup, empty when unreadable; valid until the next read through <see cref="_files"/>.</summary>
    private ReadOnlySpan<byte> ReadCgroupText(SafeFd procRoot, int pid, Span<byte> path) =>
        _files.TryRead(procRoot, path[..PathBytes.WritePidPath(path, pid, "/cgroup"u8)], out ReadOnlySpan<byte> text) == 0
            ? text : default;

    private uint ReadEffectiveUid(SafeFd procRoot, int pid, Span<byte> path)
    {
        if (_files.TryRead(procRoot, path[..PathBytes.WritePidPath(path, pid, "/status"u8)], out ReadOnlySpan<byte> text) == 0
            && ProcStatusParser.TryParseEffectiveUid(text, out uint uid, out _))
            return uid;
        return uint.MaxValue;
    }

    private long? ReadFdLimit(SafeFd procRoot, int pid, Span<byte> path)
    {
        if (_files.TryRead(procRoot, path[..PathBytes.WritePidPath(path, pid, "/limits"u8)], out ReadOnlySpan<byte> text) == 0
            && ProcLimitsParser.TryParseOpenFilesSoftLimit(text, out long limit, out _))
            return limit;
        return null;
    }

    public void Dispose() => _namespaceSockets.Dispose();
}

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
    private readonly PidLister _pidLister = new();
    private readonly ProcessIdentityCache _identities = new();
    private readonly ProcessWalk _walk;
    // OnlySocketHolders: the read sockets' inodes, filled before each walk and only read during it.
    private readonly HashSet<ulong>? _wanted;
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
        _wanted = options.OnlySocketHolders ? [] : null;
        _walk = new ProcessWalk(options, _identities, new UserDirectory(options.ProcfsPath), _wanted);
        _namespaceSockets = new NetNsSocketReader(options.ProcfsPath, options.ProcNetOnly, options.UseSetns, options.Sockets);
        _discovery = new NetNsDiscovery(options.ProcfsPath);
        _procRootZ = PathBytes.ToNulTerminated(options.ProcfsPath);
        _deviceNodes = new DeviceNodeIndex(options.ProcfsPath);
    }

    /// <param name="cancellation">Abandons the build (it throws).</param>
    /// <param name="pastDeadline">Asked as the build goes: once true, it stops reading more and returns what it has — the
    /// process walk skips the remaining processes and other network namespaces not yet read are skipped, each counted
    /// in the snapshot (<see cref="ScrapeSnapshot.SkippedProcesses"/>, <see cref="ScrapeSnapshot.SkippedNamespaces"/>),
    /// so that a scrape answers within Prometheus's timeout with what could be read, and says what is missing.</param>
    /// <remarks>The process walk runs on the calling thread and up to <see cref="SnapshotOptions.WalkWorkers"/> - 1 pool
    /// threads (<see cref="ProcessWalk"/>; procfs answers synchronously, so each is CPU-bound); the socket tables are read
    /// meanwhile by <see cref="NetNsSocketReader.ReadAsync"/> on the pool and the namespace worker thread, and awaited
    /// once the walk is done.</remarks>
    public async Task<ScrapeSnapshot> BuildAsync(CancellationToken cancellation, Func<bool>? pastDeadline = null)
    {
        SocketOwnerIndex owners = _owners;
        owners.Clear();
        HashSet<ulong>? wanted = _wanted;
        wanted?.Clear();
        (List<WatchedPath> watches, List<ReadFailure> watchErrors) = ResolveWatches();
        ProcessWalk.Result walk;
        ReadFailure? processError = null;
        var pids = new List<int>(_lastProcessCount + 16);
        int descriptorOnlyNamespaces = 0;

        int errno = Libc.OpenAt(null, _procRootZ, Constants.O_RDONLY | Constants.O_DIRECTORY, out SafeFd procRoot);
        if (errno != 0)
            processError = new ReadFailure(_options.ProcfsPath, errno);
        else if ((errno = _pidLister.List(procRoot, pids)) != 0)
            processError = new ReadFailure($"{_options.ProcfsPath}: listing pids", errno);
        ProcRootStatus? procRootStatus = null;
        if (processError is null)
        {
            // Every scrape: a mount can be replaced under a running exporter. No process directory at all is an
            // error, not a host without processes; a copy (not procfs, but with pid directories) is read and reported.
            if ((errno = Libc.FStatFsType(procRoot, out long fsType)) != 0)
                processError = new ReadFailure($"{_options.ProcfsPath}: statfs", errno);
            else if ((procRootStatus = ProcRootStatus.Judge(fsType, pids.Count)).Value.Kind == ProcRootKind.NoProcesses)
                processError = new ReadFailure(procRootStatus.Value.Problem(_options.ProcfsPath)!);
        }

        double socketSeconds = 0, processSeconds;
        int threadOnlyNamespaces;
        Task<List<NetNsSnapshot>> socketRead;
        using (procRoot)
        {
            // Namespaces first (one readlink per pid), then the socket dumps — mostly kernel time walking the socket
            // hash tables — run on the pool while this thread walks /proc; the two join on the socket inode.
            NetNsDiscovery.Result discovery = _discovery.Discover(procRoot, processError is null ? pids : [], _options.AllNamespaces);
            threadOnlyNamespaces = discovery.ThreadOnly;
            socketRead = Task.Run(async () =>
            {
                var socketClock = Stopwatch.StartNew();
                IReadOnlyList<NetNsTarget> targets = _options.NamespaceFilter is { } keep
                    ? discovery.Targets.Where(t => keep(t.Label)).ToList()
                    : discovery.Targets;
                List<NetNsSnapshot> result = await _namespaceSockets.ReadAsync(targets, pastDeadline).ConfigureAwait(false);
                socketSeconds = socketClock.Elapsed.TotalSeconds;
                return result;
            }, CancellationToken.None);

            try
            {
                var labels = discovery.Targets.ToDictionary(t => t.Inode, t => t.Label);
                if (wanted is not null)
                {
                    // The walk records only the holders of these sockets, so it waits for them instead of running beside.
                    foreach (NetNsSnapshot ns in await socketRead.ConfigureAwait(false))
                        foreach (SocketEntry s in ns.Sockets)
                            wanted.Add(s.Inode);
                }
                long walkStart = Stopwatch.GetTimestamp();
                walk = await _walk.WalkAsync(procRoot, processError is null ? pids : [], watches, owners, _lastProcessCount + 16,
                    cancellation, pastDeadline).ConfigureAwait(false);
                // The walk alone: not the wait for the socket tables after it, nor (OnlySocketHolders) before it.
                processSeconds = Stopwatch.GetElapsedTime(walkStart).TotalSeconds;
                foreach (ProcessEntry entry in walk.Processes)
                    if (discovery.PidNamespaces.TryGetValue(entry.Pid, out ulong ns))
                        entry.NetNs = labels.TryGetValue(ns, out string? label) ? label : ns.ToString(System.Globalization.CultureInfo.InvariantCulture);
                // Namespaces held only through an nsfs descriptor: no process or thread is in one, so none was read.
                if (_options.AllNamespaces)
                    foreach (ulong held in walk.HeldNamespaces)
                        if (!labels.ContainsKey(held))
                            descriptorOnlyNamespaces++;
            }
            finally
            {
                // The socket read fills this builder's reused buffers: however the walk ended (cancelled, or a bug
                // thrown), it must finish before anyone builds again. Its own failure, if any, is thrown below.
                await ((Task)socketRead).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
        // Processes the walk did not reach keep their identities for the next scrape; the others that were not seen are gone.
        _identities.Rotate(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(walk.Unwalked));
        List<NetNsSnapshot> namespaces = await socketRead.ConfigureAwait(false);
        _lastProcessCount = walk.Processes.Count;

        return new ScrapeSnapshot
        {
            Namespaces = namespaces,
            Processes = walk.Processes,
            Owners = owners,
            DeviceHolds = walk.Devices,
            DeviceNames = walk.Devices.Count == 0 ? new Dictionary<DeviceNumber, string>()
                : _deviceNodes.Resolve(walk.Devices.Select(d => d.Device)),
            ProcessError = processError,
            ProcRoot = procRootStatus,
            ThreadOnlyNamespaces = threadOnlyNamespaces,
            DescriptorOnlyNamespaces = descriptorOnlyNamespaces,
            Watches = watches,
            WatchErrors = watchErrors,
            PathHolds = walk.PathHolds,
            UnreadableProcesses = walk.Unreadable,
            FailedProcesses = walk.Failed,
            UnreadableDescriptors = walk.Problems,
            SkippedProcesses = walk.Unwalked.Count,
            SocketReadSeconds = socketSeconds,
            ProcessReadSeconds = processSeconds,
        };
    }

    /// <summary>The filesystem of each watched path, re-resolved every scrape (a mount can come and go).</summary>
    private (List<WatchedPath>, List<ReadFailure>) ResolveWatches()
    {
        var watches = new List<WatchedPath>(_options.WatchPaths.Count);
        var errors = new List<ReadFailure>();
        foreach (string watch in _options.WatchPaths)
        {
            int errno = Libc.StatxFollow(PathBytes.ToNulTerminated(watch), out StatxBuffer stx);
            if (errno == 0)
                watches.Add(new WatchedPath(watch, new FilesystemId(stx.DevMajor, stx.DevMinor)));
            else
                errors.Add(new ReadFailure(watch, errno));
        }
        return (watches, errors);
    }

    public void Dispose() => _namespaceSockets.Dispose();
}

using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Linux.ProcFs;

/// <summary>
/// Everything <see cref="FdWalker"/> records while walking the fd tables of many processes, one after the other:
/// for the whole walk, which process holds each socket inode, the device nodes held, network namespaces kept open
/// through an nsfs descriptor and descriptors whose link could not be read; for the process being walked (see
/// <see cref="StartProcess"/>), its descriptor counts by kind and, when paths are watched, its open files per filesystem.
/// One sink per walker thread, never shared between threads: a parallel walk gives each worker its own and joins
/// them when all are done (Reading.ProcessWalk), so the per-descriptor path takes no lock.
/// </summary>
/// <param name="statPaths">statx path targets to tell files, directories, FIFOs and devices apart (--no-statx turns it off).</param>
/// <param name="countFilesystems">Count each process's open files per filesystem (for --watch.path).</param>
/// <param name="keepSockets">When given, only these socket inodes are recorded as owned (the others are counted as
/// descriptors only), and <see cref="KeptSockets"/> says whether the current process holds any.</param>
public sealed class FdWalkSink(bool statPaths, bool countFilesystems = false, IReadOnlySet<ulong>? keepSockets = null)
{
    private readonly HashSet<ulong> _heldNamespaces = [];
    // Namespaces the current process was the first to show: what ForgetProcess takes back out of _heldNamespaces.
    private readonly List<ulong> _namespacesOfProcess = [];
    private FdReadProblems _problems;
    private FdReadProblems _problemsBeforeProcess;
    private FdKindCounts _counts;
    private int _firstHoldOfProcess;
    private int _firstDeviceOfProcess;

    /// <summary>(socket inode, process index) for every socket descriptor recorded, in walk order; a socket held through
    /// several descriptors of one process (dup) appears once per descriptor (<see cref="SocketOwnerIndex.Add"/> keeps one).</summary>
    public List<SocketHold> SocketHolds { get; } = [];

    public bool StatPaths => statPaths;

    /// <summary>Whether only some sockets are recorded (see the constructor's keepSockets).</summary>
    public bool KeepsSomeSockets => keepSockets is not null;

    /// <summary>Sockets of the current process recorded as owned.</summary>
    public int KeptSockets { get; private set; }

    /// <summary>Device nodes held, by process index (matched later to names by st_rdev).</summary>
    public List<DeviceHold> Devices { get; } = [];

    /// <summary>Network namespaces held open through an nsfs descriptor ("net:[N]", e.g. a runtime keeping a namespace alive).</summary>
    public IReadOnlySet<ulong> HeldNamespaces => _heldNamespaces;

    /// <summary>Descriptors whose link could not be read, summed over the walk.</summary>
    public FdReadProblems Problems => _problems;

    /// <summary>The process being walked: the index its <see cref="ProcessEntry"/> takes in the snapshot.</summary>
    public int ProcessIndex { get; private set; } = -1;

    /// <summary>The current process's descriptors by kind.</summary>
    public FdKindCounts Counts => _counts;

    /// <summary>The current process's open files per filesystem; null unless counted.</summary>
    public Dictionary<FilesystemId, int>? Filesystems { get; } = countFilesystems ? [] : null;

    /// <summary>Forgets everything recorded, keeping the lists' capacity for the next walk.</summary>
    public void Reset()
    {
        SocketHolds.Clear();
        Devices.Clear();
        _heldNamespaces.Clear();
        _namespacesOfProcess.Clear();
        _problems = _problemsBeforeProcess = default;
        _counts = default;
        KeptSockets = 0;
        Filesystems?.Clear();
        ProcessIndex = -1;
        _firstHoldOfProcess = _firstDeviceOfProcess = 0;
    }

    /// <summary>Starts recording the process that will be entry <paramref name="processIndex"/>: its counts start at zero.</summary>
    public void StartProcess(int processIndex)
    {
        ProcessIndex = processIndex;
        _counts = default;
        KeptSockets = 0;
        Filesystems?.Clear();
        _firstHoldOfProcess = SocketHolds.Count;
        _firstDeviceOfProcess = Devices.Count;
        _problemsBeforeProcess = _problems;
        _namespacesOfProcess.Clear();
    }

    /// <summary>Forgets the current process's device holds: it exited during its walk, and a device it held then may
    /// be closed already. Its socket owners stay: the socket tables were read while it held them.</summary>
    public void ForgetProcessDevices() => Devices.RemoveRange(_firstDeviceOfProcess, Devices.Count - _firstDeviceOfProcess);

    /// <summary>Forgets everything the current process's walk recorded — socket holds, device holds, namespaces only it
    /// showed, descriptor read problems, counts, open files per filesystem — so the sink is as if its fd table had been
    /// denied at once: for a table that could not be read to its end (see ProcessReader), which is counted as a whole.</summary>
    public void ForgetProcess()
    {
        SocketHolds.RemoveRange(_firstHoldOfProcess, SocketHolds.Count - _firstHoldOfProcess);
        ForgetProcessDevices();
        foreach (ulong inode in _namespacesOfProcess)
            _heldNamespaces.Remove(inode);
        _namespacesOfProcess.Clear();
        _problems = _problemsBeforeProcess;
        _counts = default;
        KeptSockets = 0;
        Filesystems?.Clear();
    }

    internal void Count(FdKind kind) => _counts.Increment(kind);

    internal void Socket(ulong inode)
    {
        if (keepSockets is not null && !keepSockets.Contains(inode))
            return;
        SocketHolds.Add(new SocketHold(inode, ProcessIndex));
        KeptSockets++;
    }

    internal void HeldNamespace(ulong inode)
    {
        if (_heldNamespaces.Add(inode))
            _namespacesOfProcess.Add(inode);
    }

    internal void Problem(FdReadProblem problem) => _problems.Add(problem);

    internal void Unclassified() => _problems.Unclassified++;

    internal void Device(bool isBlock, uint major, uint minor) => Devices.Add(new DeviceHold(ProcessIndex, isBlock, major, minor));

    internal void OpenFileOn(FilesystemId filesystem)
    {
        if (Filesystems is { } filesystems)
            filesystems[filesystem] = filesystems.GetValueOrDefault(filesystem) + 1;
    }
}

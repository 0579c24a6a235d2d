using SocketExporter.Linux.Interop;
using SocketExporter.Linux.ProcFs;
using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Linux.Reading;

/// <summary>
/// What one walker thread of <see cref="ProcessWalk"/> owns: its reader (and so its file, link and directory buffers),
/// its <see cref="FdWalkSink"/>, and the processes and path holds it found, indexed in its own list. Kept from one
/// scrape to the next so the buffers are not reallocated; only the thread that took a chunk of pids touches it, and
/// the walk joins it into the snapshot after every thread is done.
/// </summary>
internal sealed class WalkWorker(SnapshotOptions options, ProcessIdentityCache identities, UserDirectory users, IReadOnlySet<ulong>? keepSockets)
{
    private readonly ProcessReader _reader = new(options, new ProcFileReader(), identities, users);

    public FdWalkSink Sink { get; } = new(options.ClassifyPathDescriptors, countFilesystems: options.WatchPaths.Count > 0, keepSockets);

    /// <summary>The processes this worker recorded; a hold's process index points into this list.</summary>
    public List<ProcessEntry> Processes { get; } = [];

    public List<PathHold> PathHolds { get; } = [];

    /// <summary>Processes whose fd table was denied (EACCES/EPERM).</summary>
    public int Unreadable { get; private set; }

    /// <summary>Processes whose files were malformed or gave an unexpected errno.</summary>
    public int Failed { get; private set; }

    public void Reset()
    {
        Sink.Reset();
        Processes.Clear();
        PathHolds.Clear();
        Unreadable = Failed = 0;
    }

    public void Read(SafeFd procRoot, int pid, List<WatchedPath> watches)
    {
        (ProcessReadStatus status, ProcessEntry? entry) = _reader.Read(procRoot, pid, Processes.Count, Sink, watches, PathHolds);
        switch (status)
        {
            case ProcessReadStatus.FdsDenied: Unreadable++; break;
            case ProcessReadStatus.Failed: Failed++; break;
        }
        if (entry is not null)
            Processes.Add(entry);
    }
}

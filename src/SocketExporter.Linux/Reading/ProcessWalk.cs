using System.Runtime.InteropServices;
using SocketExporter.Linux.Interop;
using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Linux.Reading;

/// <summary>
/// The one pass over every process of a scrape (stat, fd table, identity, limits), spread over up to
/// <see cref="SnapshotOptions.WalkWorkers"/> threads: the calling thread and pool threads take chunks of
/// <see cref="ChunkSize"/> consecutive pids from a shared counter until none are left. The kernel answers each
/// readlinkat of /proc/PID/fd/N synchronously on the caller's CPU, so a walk is CPU-bound and scales with cores.
/// </summary>
/// <remarks>
/// Thread-safety: each thread reads only into its own <see cref="WalkWorker"/> (buffers, sink, process list), so the
/// per-descriptor path takes no lock; the results are joined once every thread is done, chunk by chunk in pid order,
/// which gives the same snapshot — processes, their order, every socket's holders in the same order — as one thread
/// walking the pids one after the other. What threads share during the walk: the proc root (a SafeHandle, safe to
/// use from several threads), the set of sockets to keep (filled before, only read), the identity cache and the user
/// directory (both lock inside; they are touched once per process, not per descriptor).
/// If the pool is starved, the calling thread takes every chunk: a walk never waits for a thread to start.
/// </remarks>
public sealed class ProcessWalk
{
    /// <summary>Processes a thread takes at a time. One: on a busy node a few processes hold most descriptors (one
    /// server 9,000 of 105,000: ~35 ms to read), and chunks of 8 left one thread reading the last heavy chunk alone.
    /// Claiming a chunk is a single interlocked add, and they are claimed heaviest first (<see cref="ClaimOrder"/>).</summary>
    internal const int ChunkSize = 1;

    // Descriptors each pid had at the last walk: the weights of the claim order.
    private readonly Dictionary<int, int> _lastDescriptors = [];
    private int[] _order = [];
    private Chunk[] _chunks = [];

    private readonly WalkWorker[] _workers;
    private readonly List<int> _unwalked = [];

    /// <param name="keepSockets">See <see cref="ProcFs.FdWalkSink"/>: read (never written) while a walk runs.</param>
    internal ProcessWalk(SnapshotOptions options, ProcessIdentityCache identities, UserDirectory users, IReadOnlySet<ulong>? keepSockets)
    {
        if (options.WalkWorkers < 1)
            throw new ArgumentOutOfRangeException(nameof(options), options.WalkWorkers, "WalkWorkers must be at least 1");
        _workers = new WalkWorker[options.WalkWorkers];
        for (int i = 0; i < _workers.Length; i++)
            _workers[i] = new WalkWorker(options, identities, users, keepSockets);
    }

    /// <summary>What a walk found; <see cref="Unwalked"/> is valid until the next walk (reused), the rest is the snapshot's.</summary>
    internal sealed record Result(
        List<ProcessEntry> Processes,
        List<DeviceHold> Devices,
        List<PathHold> PathHolds,
        IReadOnlySet<ulong> HeldNamespaces,
        FdReadProblems Problems,
        int Unreadable,
        int Failed,
        List<int> Unwalked)
    {
        /// <summary>How many threads read at least one chunk (1 when the pool started no helper in time).</summary>
        public int Threads { get; init; }
    }

    /// <summary>Reads every pid of <paramref name="pids"/>; <paramref name="owners"/> (emptied by the caller) gets every socket's holders.</summary>
    /// <param name="pastDeadline">Asked before each process by whichever thread reads it (so it must be thread-safe); once
    /// true, no thread starts another process and the pids not reached come back in <see cref="Result.Unwalked"/>.</param>
    /// <exception cref="OperationCanceledException">Once every thread has stopped.</exception>
    internal async Task<Result> WalkAsync(SafeFd procRoot, List<int> pids, List<WatchedPath> watches, SocketOwnerIndex owners,
        int expectedProcesses, CancellationToken cancellation, Func<bool>? pastDeadline)
    {
        foreach (WalkWorker worker in _workers)
            worker.Reset();
        int chunks = (pids.Count + ChunkSize - 1) / ChunkSize;
        if (_chunks.Length < chunks)
            _chunks = new Chunk[Math.Max(chunks, _chunks.Length * 2)];
        Array.Clear(_chunks, 0, chunks);
        var run = new Run(procRoot, pids, watches, chunks, cancellation, pastDeadline)
        {
            ChunkArray = _chunks,
            Order = ClaimOrder(pids, chunks),
        };
        int helpers = Math.Max(0, Math.Min(_workers.Length, run.Chunks.Length) - 1);
        var tasks = new Task[helpers];
        for (int i = 0; i < helpers; i++)
        {
            WalkWorker worker = _workers[i + 1];
            int index = i + 1;
            tasks[i] = Task.Run(() => Work(run, worker, index), CancellationToken.None);
        }
        bool returned = false;
        try
        {
            Work(run, _workers[0], 0);
            returned = true;
        }
        finally
        {
            // This thread found no chunk left, or the walk stopped, or it threw: then the others stop too. Before anything
            // reads the workers' lists, or the caller reuses them, every chunk that was started ends. A helper that has
            // not started yet finds no chunk left, or Stop set, and touches nothing.
            if (!returned)
                run.Stop = true;
            SpinWait.SpinUntil(() => Volatile.Read(ref run.Active) == 0);
        }
        if (run.Faulted)
            await Task.WhenAll(tasks).ConfigureAwait(false);   // throws the helper's exception (a bug), as one thread walking would
        cancellation.ThrowIfCancellationRequested();
        return Join(run, owners, expectedProcesses);
    }

    /// <summary>Takes chunks until none are left or the walk stops.</summary>
    private static void Work(Run run, WalkWorker worker, int workerIndex)
    {
        while (true)
        {
            // Active is raised before Stop is read and a chunk claimed: WalkAsync waits for Active to fall to zero after
            // the last chunk was claimed or Stop was set, so a thread either finds nothing to do here or is waited for.
            Interlocked.Increment(ref run.Active);
            bool more = false, returned = false;
            try
            {
                more = !run.Stop && WalkNextChunk(run, worker, workerIndex);
                returned = true;
            }
            finally
            {
                if (!returned)
                {
                    run.Faulted = true;
                    run.Stop = true;
                }
                Interlocked.Decrement(ref run.Active);
            }
            if (!more)
                return;
        }
    }

    /// <returns>False when no chunk was left.</returns>
    private static bool WalkNextChunk(Run run, WalkWorker worker, int workerIndex)
    {
        int claimed = Interlocked.Increment(ref run.NextChunk) - 1;
        if (claimed >= run.Chunks.Length)
            return false;
        int c = run.Order[claimed];
        ref Chunk chunk = ref run.Chunks[c];
        chunk.Worker = workerIndex;
        chunk.ProcessStart = worker.Processes.Count;
        chunk.HoldStart = worker.Sink.SocketHolds.Count;
        chunk.DeviceStart = worker.Sink.Devices.Count;
        chunk.PathHoldStart = worker.PathHolds.Count;
        int first = c * ChunkSize, end = Math.Min(first + ChunkSize, run.Pids.Count);
        for (int i = first; i < end; i++)
        {
            if (run.Stop || run.Cancellation.IsCancellationRequested || (run.PastDeadline is not null && run.PastDeadline()))
            {
                run.Stop = true;
                break;
            }
            worker.Read(run.ProcRoot, run.Pids[i], run.Watches);
            chunk.Walked++;
        }
        chunk.ProcessEnd = worker.Processes.Count;
        chunk.HoldEnd = worker.Sink.SocketHolds.Count;
        chunk.DeviceEnd = worker.Sink.Devices.Count;
        chunk.PathHoldEnd = worker.PathHolds.Count;
        chunk.Done = true;
        return true;
    }

    /// <summary>The workers' findings as one walk in pid order: each chunk's processes are appended, and its holds' process
    /// indexes shifted from the worker's list to the joined one.</summary>
    private Result Join(Run run, SocketOwnerIndex owners, int expectedProcesses)
    {
        var processes = new List<ProcessEntry>(expectedProcesses);
        var devices = new List<DeviceHold>();
        var pathHolds = new List<PathHold>();
        _unwalked.Clear();
        for (int c = 0; c < run.Chunks.Length; c++)
        {
            ref Chunk chunk = ref run.Chunks[c];
            int first = c * ChunkSize, end = Math.Min(first + ChunkSize, run.Pids.Count);
            int walked = chunk.Done ? chunk.Walked : 0;
            for (int i = first + walked; i < end; i++)
                _unwalked.Add(run.Pids[i]);
            if (!chunk.Done)
                continue;
            WalkWorker worker = _workers[chunk.Worker];
            int offset = processes.Count - chunk.ProcessStart;
            for (int p = chunk.ProcessStart; p < chunk.ProcessEnd; p++)
                processes.Add(worker.Processes[p]);
            owners.AddRange(CollectionsMarshal.AsSpan(worker.Sink.SocketHolds)[chunk.HoldStart..chunk.HoldEnd], offset);
            for (int d = chunk.DeviceStart; d < chunk.DeviceEnd; d++)
            {
                DeviceHold hold = worker.Sink.Devices[d];
                devices.Add(hold with { ProcessIndex = hold.ProcessIndex + offset });
            }
            for (int h = chunk.PathHoldStart; h < chunk.PathHoldEnd; h++)
            {
                PathHold hold = worker.PathHolds[h];
                pathHolds.Add(hold with { ProcessIndex = hold.ProcessIndex + offset });
            }
        }
        int threads = 0;
        for (int w = 0; w < _workers.Length; w++)
            foreach (Chunk chunk in run.Chunks)
                if (chunk.Done && chunk.Worker == w)
                {
                    threads++;
                    break;
                }
        var heldNamespaces = new HashSet<ulong>();
        FdReadProblems problems = default;
        int unreadable = 0, failed = 0;
        foreach (WalkWorker worker in _workers)
        {
            heldNamespaces.UnionWith(worker.Sink.HeldNamespaces);
            problems.Add(worker.Sink.Problems);
            unreadable += worker.Unreadable;
            failed += worker.Failed;
        }
        _lastDescriptors.Clear();
        foreach (ProcessEntry process in processes)
            _lastDescriptors[process.Pid] = process.Fds.Total;
        return new Result(processes, devices, pathHolds, heldNamespaces, problems, unreadable, failed, _unwalked)
        {
            Threads = threads,
        };
    }

    /// <summary>
    /// The order in which chunks are claimed: heaviest first by the descriptors their processes had at the last walk,
    /// pids new since then first of all (their weight is unknown). The longest reads start while the others still have
    /// work to share, so the threads finish together. The chunks keep their pid order for the join.
    /// </summary>
    internal int[] ClaimOrder(List<int> pids, int chunks)
    {
        if (_order.Length < chunks)
            _order = new int[Math.Max(chunks, _order.Length * 2)];
        int[] order = _order;
        var weights = new long[chunks];
        for (int c = 0; c < chunks; c++)
        {
            order[c] = c;
            int first = c * ChunkSize, end = Math.Min(first + ChunkSize, pids.Count);
            for (int i = first; i < end; i++)
                weights[c] += _lastDescriptors.TryGetValue(pids[i], out int fds) ? fds : int.MaxValue;
        }
        Array.Sort(weights, order, 0, chunks);
        Array.Reverse(order, 0, chunks);
        return order;
    }

    /// <summary>One walk's shared state: new for every walk, so a helper the pool starts late only ever sees its own,
    /// stopped walk. Its chunk and claim-order arrays are the walker's, reused by the next walk: such a helper finds
    /// Stop set or no chunk left before it would touch either.</summary>
    private sealed class Run(SafeFd procRoot, List<int> pids, List<WatchedPath> watches, int chunks,
        CancellationToken cancellation, Func<bool>? pastDeadline)
    {
        public readonly SafeFd ProcRoot = procRoot;
        public readonly List<int> Pids = pids;
        public readonly List<WatchedPath> Watches = watches;
        public readonly CancellationToken Cancellation = cancellation;
        public readonly Func<bool>? PastDeadline = pastDeadline;
        /// <summary>Each written only by the thread that claimed it, read after all threads are done.</summary>
        // One chunk per process: a host's thousands would be a new array per scrape.
        public required Chunk[] ChunkArray { get; init; }
        public Span<Chunk> Chunks => ChunkArray.AsSpan(0, chunks);
        public required int[] Order { get; init; }
        public int NextChunk;
        /// <summary>Threads between their check of <see cref="Stop"/> and the end of their chunk.</summary>
        public int Active;
        public volatile bool Stop;
        public volatile bool Faulted;
    }

    /// <summary>Where one chunk's findings lie in its worker's lists (start inclusive, end exclusive).</summary>
    private struct Chunk
    {
        public bool Done;
        public int Worker, Walked;
        public int ProcessStart, ProcessEnd, HoldStart, HoldEnd, DeviceStart, DeviceEnd, PathHoldStart, PathHoldEnd;
    }
}

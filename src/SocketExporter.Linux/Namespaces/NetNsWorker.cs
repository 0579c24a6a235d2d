using System.Collections.Concurrent;
using SocketExporter.Linux.Interop;
using SocketExporter.Linux.Netlink;
using SocketExporter.Linux.ProcFs;
using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Linux.Namespaces;

/// <summary>What entering one namespace gave: a sock_diag socket created inside it, or the errno that stopped it.</summary>
public sealed record NetNsOpenResult(SockDiagClient? Client, int Errno, ReadFailure? Error)
{
    /// <summary>The namespace's net.ipv4.ip_local_port_range, read while inside it (null: see <see cref="LocalPortsError"/>).</summary>
    public EphemeralPortRange? LocalPorts { get; init; }
    public ReadFailure? LocalPortsError { get; init; }
}

/// <summary>
/// setns() changes the namespace of the calling OS thread only, so entering namespaces happens on one dedicated
/// thread (never a pool thread or an async continuation, which could run other work inside the namespace). The
/// thread enters a namespace, creates the sock_diag socket there — a socket keeps working in the namespace it was
/// created in, from any thread — and returns to its own namespace through a descriptor saved at start. If it
/// cannot return, the thread is retired and never reused.
/// </summary>
public sealed class NetNsWorker : IDisposable
{
    private sealed record Job(IReadOnlyList<SafeFd> Namespaces, TaskCompletionSource<NetNsOpenResult[]> Done);

    private BlockingCollection<Job> _jobs = new();
    private Thread _thread;
    private bool _disposed;

    public NetNsWorker() => _thread = StartThread(_jobs);

    /// <summary>Opens a sock_diag socket inside each namespace (given as open nsfs descriptors).</summary>
    public Task<NetNsOpenResult[]> OpenSockDiagAsync(IReadOnlyList<SafeFd> namespaces)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var done = new TaskCompletionSource<NetNsOpenResult[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (this)
        {
            if (!_thread.IsAlive)
            {
                // The previous thread could not return to its namespace and retired itself.
                _jobs = new BlockingCollection<Job>();
                _thread = StartThread(_jobs);
            }
            _jobs.Add(new Job(namespaces, done));
        }
        return done.Task;
    }

    private static Thread StartThread(BlockingCollection<Job> jobs)
    {
        var thread = new Thread(() => Run(jobs)) { IsBackground = true, Name = "netns-worker" };
        thread.Start();
        return thread;
    }

    private static void Run(BlockingCollection<Job> jobs)
    {
        if (Libc.OpenAt(null, "/proc/thread-self/ns/net\0"u8, Constants.O_RDONLY, out SafeFd home) != 0)
        {
            foreach (Job job in jobs.GetConsumingEnumerable())
                job.Done.SetResult(job.Namespaces.Select(_ => new NetNsOpenResult(null, Constants.EIO, new ReadFailure("cannot open /proc/thread-self/ns/net"))).ToArray());
            return;
        }
        var files = new ProcFileReader();
        using (home)
        {
            foreach (Job job in jobs.GetConsumingEnumerable())
            {
                var results = new NetNsOpenResult[job.Namespaces.Count];
                bool lost = false;
                for (int i = 0; i < results.Length; i++)
                {
                    if (lost)
                    {
                        results[i] = new(null, Constants.EIO, new ReadFailure("the namespace worker could not return to its own namespace"));
                        continue;
                    }
                    int errno = Libc.SetNs(job.Namespaces[i], Constants.CLONE_NEWNET);
                    if (errno != 0)
                    {
                        results[i] = new(null, errno, new ReadFailure("setns", errno));
                        continue;
                    }
                    int openErrno = SockDiagClient.TryOpen(out SockDiagClient? client);
                    // Net sysctls can only be read for the namespace the reading thread is in: this is the one chance.
                    EphemeralPortRange? ports = LocalPortRangeReader.Read(files, "/proc", out ReadFailure? portsError);
                    results[i] = new(client, openErrno, openErrno == 0 ? null : new ReadFailure("socket(NETLINK_SOCK_DIAG)", openErrno))
                    {
                        LocalPorts = ports,
                        LocalPortsError = portsError,
                    };
                    lost = Libc.SetNs(home, Constants.CLONE_NEWNET) != 0;
                }
                job.Done.SetResult(results);
                if (lost)
                {
                    // This thread now lives in a foreign namespace: it must never run anything again.
                    jobs.CompleteAdding();
                    foreach (Job pending in jobs.GetConsumingEnumerable())
                        pending.Done.SetException(new InvalidOperationException("namespace worker retired"));
                    return;
                }
            }
        }
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _jobs.CompleteAdding();
    }
}

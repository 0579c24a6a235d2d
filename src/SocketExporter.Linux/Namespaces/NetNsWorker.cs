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
    // Inside(i) runs while the thread is in namespace i; Refused(i, errno) when setns failed. Finish gets the results.
    private sealed record Job(IReadOnlyList<SafeFd> Namespaces, Func<int, object> Inside, Func<int, int, ReadFailure, object> Refused,
        Action<object[]> Finish, Action<Exception> Abandon);

    private BlockingCollection<Job> _jobs = new();
    private Thread _thread;
    private bool _disposed;

    public NetNsWorker() => _thread = StartThread(_jobs);

    /// <summary>Opens a sock_diag socket inside each namespace (given as open nsfs descriptors).</summary>
    public Task<NetNsOpenResult[]> OpenSockDiagAsync(IReadOnlyList<SafeFd> namespaces)
    {
        var files = new ProcFileReader();
        return RunInsideAsync(namespaces, () =>
        {
            int openErrno = SockDiagClient.TryOpen(out SockDiagClient? client);
            // Net sysctls can only be read for the namespace the reading thread is in: this is the one chance.
            EphemeralPortRange? ports = LocalPortRangeReader.Read(files, "/proc", out ReadFailure? portsError);
            return new NetNsOpenResult(client, openErrno, openErrno == 0 ? null : new ReadFailure("socket(NETLINK_SOCK_DIAG)", openErrno))
            {
                LocalPorts = ports,
                LocalPortsError = portsError,
            };
        }, (errno, error) => new NetNsOpenResult(null, errno, error));
    }

    /// <summary>
    /// Runs <paramref name="inside"/> on the worker thread while it is in each namespace (given as open nsfs
    /// descriptors), for what can only be done there: creating a socket that belongs to the namespace. When setns fails,
    /// or the thread could not return from an earlier namespace, <paramref name="refused"/> gets the errno and why.
    /// </summary>
    public Task<T[]> RunInsideAsync<T>(IReadOnlyList<SafeFd> namespaces, Func<T> inside, Func<int, ReadFailure, T> refused) =>
        RunInsideAsync(namespaces, _ => inside(), (_, errno, error) => refused(errno, error));

    /// <summary>As above, with the index of the namespace (in <paramref name="namespaces"/>) given to each delegate.</summary>
    public Task<T[]> RunInsideAsync<T>(IReadOnlyList<SafeFd> namespaces, Func<int, T> inside, Func<int, int, ReadFailure, T> refused)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var done = new TaskCompletionSource<T[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        var job = new Job(namespaces, i => inside(i)!, (i, errno, error) => refused(i, errno, error)!,
            results => done.SetResult(results.Cast<T>().ToArray()), e => done.SetException(e));
        lock (this)
        {
            if (!_thread.IsAlive)
            {
                // The previous thread could not return to its namespace and retired itself.
                _jobs = new BlockingCollection<Job>();
                _thread = StartThread(_jobs);
            }
            _jobs.Add(job);
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
                job.Finish(job.Namespaces.Select((_, i) => job.Refused(i, Constants.EIO, new ReadFailure("cannot open /proc/thread-self/ns/net"))).ToArray());
            return;
        }
        using (home)
        {
            foreach (Job job in jobs.GetConsumingEnumerable())
            {
                var results = new object[job.Namespaces.Count];
                bool lost = false;
                for (int i = 0; i < results.Length; i++)
                {
                    if (lost)
                    {
                        results[i] = job.Refused(i, Constants.EIO, new ReadFailure("the namespace worker could not return to its own namespace"));
                        continue;
                    }
                    int errno = Libc.SetNs(job.Namespaces[i], Constants.CLONE_NEWNET);
                    if (errno != 0)
                    {
                        results[i] = job.Refused(i, errno, new ReadFailure("setns", errno));
                        continue;
                    }
                    results[i] = job.Inside(i);
                    lost = Libc.SetNs(home, Constants.CLONE_NEWNET) != 0;
                }
                job.Finish(results);
                if (lost)
                {
                    // This thread now lives in a foreign namespace: it must never run anything again.
                    jobs.CompleteAdding();
                    foreach (Job pending in jobs.GetConsumingEnumerable())
                        pending.Abandon(new InvalidOperationException("namespace worker retired"));
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

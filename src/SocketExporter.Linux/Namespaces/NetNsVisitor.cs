using SocketExporter.Linux.Interop;
using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Linux.Namespaces;

/// <summary>What one visit to a namespace gave: the delegate's value, or the errno and why it was not entered.</summary>
public readonly record struct NetNsVisit<T>(T? Value, int Errno, ReadFailure? Failure)
{
    public bool Entered => Failure is null;

    /// <summary>A bounded label value for why a namespace was not entered: setns refused for want of CAP_SYS_ADMIN, the
    /// process or name to enter through gone, or anything else.</summary>
    public string Reason => Entered ? "" : NetNsVisitor.Reason(Errno);
}

/// <summary>
/// Runs a delegate inside other network namespaces, each named by an nsfs path (/proc/PID/ns/net of a process inside,
/// or a /run/netns name) and the inode it must still have: the path is opened, checked against the inode (a pid can
/// exit and its number be reused), handed to <see cref="NetNsWorker"/>'s thread, and closed once the thread has left
/// the namespace again. Nothing stays open between visits: an nsfs descriptor, like a socket created inside, would
/// keep the namespace alive. setns needs CAP_SYS_ADMIN.
/// </summary>
public sealed class NetNsVisitor : IDisposable
{
    private readonly NetNsWorker _worker = new();

    /// <summary>The bounded reason for an errno of opening or entering a namespace.</summary>
    public static string Reason(int errno) => errno switch
    {
        Constants.EPERM => "setns_denied",
        Constants.ESRCH or Constants.ENOENT => "process_gone",
        _ => "failed",
    };

    /// <summary>Opens <paramref name="path"/> and checks it is still namespace <paramref name="inode"/>; the errno (ESRCH
    /// when it is another namespace now) and why, else 0 and an open descriptor the caller disposes.</summary>
    public static int TryOpen(string path, ulong inode, out SafeFd fd, out ReadFailure? failure)
    {
        int errno = Libc.OpenAt(null, PathBytes.ToNulTerminated(path), Constants.O_RDONLY, out fd);
        if (errno != 0)
        {
            failure = new ReadFailure(path, errno);
            return errno;
        }
        if (Libc.Statx(fd, "\0"u8, Constants.AT_EMPTY_PATH, Constants.STATX_INO, out StatxBuffer stx) != 0 || stx.Ino != inode)
        {
            fd.Dispose();
            failure = new ReadFailure(path, Detail: $"no longer namespace {inode}");
            return Constants.ESRCH;
        }
        failure = null;
        return 0;
    }

    /// <summary>
    /// Runs <paramref name="inside"/>(i) while the worker thread is in target i's namespace, for each target in turn.
    /// Blocks the caller until the worker is done: the worker is a dedicated thread that never waits on its callers,
    /// so this cannot deadlock (it costs the caller's thread the visits' time, a few hundred microseconds each).
    /// </summary>
    public NetNsVisit<T>[] Visit<T>(IReadOnlyList<(ulong Inode, string Path)> targets, Func<int, T> inside)
    {
        var results = new NetNsVisit<T>[targets.Count];
        var fds = new List<SafeFd>();
        var indexes = new List<int>();
        try
        {
            for (int i = 0; i < targets.Count; i++)
            {
                int errno = TryOpen(targets[i].Path, targets[i].Inode, out SafeFd fd, out ReadFailure? failure);
                if (errno != 0)
                {
                    results[i] = new(default, errno, failure);
                    continue;
                }
                fds.Add(fd);
                indexes.Add(i);
            }
            if (fds.Count == 0)
                return results;
            NetNsVisit<T>[] visited;
            try
            {
                visited = _worker.RunInsideAsync(fds, k => new NetNsVisit<T>(inside(indexes[k]), 0, null),
                    (_, errno, failure) => new NetNsVisit<T>(default, errno, failure)).GetAwaiter().GetResult();
            }
            catch (InvalidOperationException e)   // the worker thread retired (it could not return to its namespace)
            {
                visited = fds.Select(_ => new NetNsVisit<T>(default, Constants.EIO, new ReadFailure("the namespace worker", Detail: e.Message))).ToArray();
            }
            for (int k = 0; k < indexes.Count; k++)
                results[indexes[k]] = visited[k];
            return results;
        }
        finally
        {
            foreach (SafeFd fd in fds)
                fd.Dispose();
        }
    }

    public void Dispose() => _worker.Dispose();
}

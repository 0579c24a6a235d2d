using SocketExporter.Linux.Interop;
using SocketExporter.Linux.Namespaces;

namespace SocketExporter.Linux.Events;

/// <summary>A subscription opened in one namespace, or why there is none.</summary>
public sealed record SubscribeResult(ulong Inode, DestroySubscription? Subscription, int Errno, string? Error)
{
    /// <summary>A bounded label value for why there is no subscription: setns refused for want of CAP_SYS_ADMIN, the
    /// process to enter through exited, or anything else.</summary>
    public string Reason => Subscription is not null ? "" : Errno switch
    {
        Constants.EPERM => "setns_denied",
        Constants.ESRCH or Constants.ENOENT => "process_gone",
        _ => "failed",
    };
}

/// <summary>
/// Opens destroy-event subscriptions: in the exporter's own namespace directly (no privilege needed), in another one
/// from inside it, through a process's /proc/PID/ns/net and setns() on <see cref="NetNsWorker"/>'s thread (needs
/// CAP_SYS_ADMIN). The socket then belongs to that namespace for good, whichever thread reads it.
/// </summary>
public sealed class NamespaceSubscriber(string procfsPath) : IDisposable
{
    private readonly NetNsWorker _worker = new();

    /// <summary>The exporter's own network namespace inode (0 when /proc/self/ns/net cannot be read).</summary>
    public static ulong OwnNamespaceInode()
    {
        int errno = Libc.OpenAt(null, "/proc/self/ns/net\0"u8, Constants.O_RDONLY, out SafeFd fd);
        using (fd)
        {
            if (errno == 0 && Libc.Statx(fd, "\0"u8, Constants.AT_EMPTY_PATH, Constants.STATX_INO, out StatxBuffer stx) == 0)
                return stx.Ino;
        }
        return 0;
    }

    public static SubscribeResult SubscribeOwn(ulong inode)
    {
        int errno = DestroySubscription.TryOpen(out DestroySubscription? s, out string? error);
        return new(inode, s, errno, error);
    }

    /// <summary>Subscribes in each (namespace inode, a pid inside it). Blocks until the worker thread is done.</summary>
    public SubscribeResult[] Subscribe(IReadOnlyList<(ulong Inode, int Pid)> targets)
    {
        var results = new SubscribeResult?[targets.Count];
        var fds = new List<SafeFd>();
        var indexes = new List<int>();
        try
        {
            for (int i = 0; i < targets.Count; i++)
            {
                (ulong inode, int pid) = targets[i];
                string path = Path.Combine(procfsPath, pid.ToString(System.Globalization.CultureInfo.InvariantCulture), "ns", "net");
                int errno = Libc.OpenAt(null, PathBytes.ToNulTerminated(path), Constants.O_RDONLY, out SafeFd fd);
                if (errno != 0)
                {
                    fd.Dispose();
                    results[i] = new(inode, null, errno, $"{path}: {Errno.Describe(errno)}");
                    continue;
                }
                // The pid may have exited and its number been reused since the scrape: check it is still the namespace meant.
                if (Libc.Statx(fd, "\0"u8, Constants.AT_EMPTY_PATH, Constants.STATX_INO, out StatxBuffer stx) != 0 || stx.Ino != inode)
                {
                    fd.Dispose();
                    results[i] = new(inode, null, Constants.ESRCH, $"{path}: no longer namespace {inode}");
                    continue;
                }
                fds.Add(fd);
                indexes.Add(i);
            }
            if (fds.Count > 0)
            {
                (DestroySubscription? S, int Errno, string? Error)[] opened;
                try
                {
                    // The worker is a dedicated thread that never waits on the caller: blocking here cannot deadlock.
                    opened = _worker.RunInsideAsync<(DestroySubscription?, int, string?)>(fds,
                        () => (DestroySubscription.TryOpen(out DestroySubscription? s, out string? e) is var errno && errno == 0 ? s : null, errno, e),
                        (errno, failure) => (null, errno, failure.ToString())).GetAwaiter().GetResult();
                }
                catch (InvalidOperationException e)
                {
                    opened = fds.Select(_ => ((DestroySubscription?)null, Constants.EIO, (string?)e.Message)).ToArray();
                }
                for (int k = 0; k < indexes.Count; k++)
                    results[indexes[k]] = new(targets[indexes[k]].Inode, opened[k].S, opened[k].Errno, opened[k].Error);
            }
        }
        finally
        {
            foreach (SafeFd fd in fds)
                fd.Dispose();
        }
        return results.Select(r => r!).ToArray();
    }

    public void Dispose() => _worker.Dispose();
}

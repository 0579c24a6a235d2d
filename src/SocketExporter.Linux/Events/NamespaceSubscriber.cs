using SocketExporter.Linux.Interop;
using SocketExporter.Linux.Namespaces;

namespace SocketExporter.Linux.Events;

/// <summary>A subscription opened in one namespace, or why there is none.</summary>
public sealed record SubscribeResult(ulong Inode, DestroySubscription? Subscription, int Errno, string? Error)
{
    /// <summary>A bounded label value for why there is no subscription: setns refused for want of CAP_SYS_ADMIN, the
    /// process to enter through exited, or anything else.</summary>
    public string Reason => Subscription is not null ? "" : NetNsVisitor.Reason(Errno);
}

/// <summary>
/// Opens destroy-event subscriptions: in the exporter's own namespace directly (no privilege needed), in another one
/// from inside it, through a process's /proc/PID/ns/net and setns() on <see cref="NetNsVisitor"/>'s worker thread (needs
/// CAP_SYS_ADMIN). The socket then belongs to that namespace for good, whichever thread reads it.
/// </summary>
public sealed class NamespaceSubscriber(string procfsPath) : IDisposable
{
    private readonly NetNsVisitor _visitor = new();

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
        var paths = targets.Select(t => (t.Inode, Path.Combine(procfsPath, t.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture), "ns", "net"))).ToList();
        NetNsVisit<(DestroySubscription? S, int Errno, string? Error)>[] visits = _visitor.Visit(paths,
            _ => (DestroySubscription.TryOpen(out DestroySubscription? s, out string? e) is var errno && errno == 0 ? s : null, errno, e));
        var results = new SubscribeResult[targets.Count];
        for (int i = 0; i < visits.Length; i++)
            results[i] = visits[i].Entered
                ? new(targets[i].Inode, visits[i].Value.S, visits[i].Value.Errno, visits[i].Value.Error)
                : new(targets[i].Inode, null, visits[i].Errno, visits[i].Failure!.ToString());
        return results;
    }

    public void Dispose() => _visitor.Dispose();
}

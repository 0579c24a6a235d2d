using System.Diagnostics;
using SocketExporter.Linux.Interop;
using SocketExporter.Linux.Namespaces;
using SocketExporter.Linux.Netlink;

namespace SocketExporter.Linux.Snapshot;

/// <summary>
/// Reads the socket tables of every discovered network namespace, each once: the exporter's own directly;
/// the others through a sock_diag socket created inside them by <see cref="NetNsWorker"/> (needs CAP_SYS_ADMIN),
/// else from /proc/[pid]/net of a process inside (no privilege needed). Every per-namespace socket is closed
/// before returning: an open socket would keep its namespace alive.
/// </summary>
public sealed class NetNsSocketReader(string procfsPath, bool procNetOnly, bool useSetns) : IDisposable
{
    private readonly SocketTableReader _tables = new();
    private readonly NetNsWorker _worker = new();
    // Socket lists per namespace, reused scrape after scrape (a 20,000-socket list is a large-object-heap
    // allocation; reallocating it every scrape forced a full GC each time). Valid until the next Read.
    private Dictionary<ulong, (List<SocketEntry> Inet, List<UnixSocketEntry> Unix)> _buffers = [];
    private readonly HashSet<ulong> _seen = [];
    // Without CAP_SYS_ADMIN every setns fails with EPERM: stop asking for a while instead of failing every scrape.
    private static readonly TimeSpan SetnsRetryAfterDenial = TimeSpan.FromMinutes(5);
    private DateTime _setnsDeniedUntil = DateTime.MinValue;

    public List<NetNsSnapshot> Read(IReadOnlyList<NetNsTarget> targets)
    {
        NetNsOpenResult?[] opened = OpenForeign(targets);
        var result = new List<NetNsSnapshot>(targets.Count);
        var buffers = new Dictionary<ulong, (List<SocketEntry>, List<UnixSocketEntry>)>(targets.Count);
        for (int i = 0; i < targets.Count; i++)
        {
            NetNsTarget target = targets[i];
            SockDiagClient? client = null;
            string? clientError;
            NetNsMethod viaNetlink = target.IsOwn ? NetNsMethod.Netlink : NetNsMethod.Setns;
            if (procNetOnly)
                clientError = "sock_diag disabled by --socket.source=procfs";
            else if (target.IsOwn)
            {
                int errno = SockDiagClient.TryOpen(out client);
                clientError = errno == 0 ? null : $"socket(AF_NETLINK, NETLINK_SOCK_DIAG): {Errno.Describe(errno)}";
            }
            else if (opened[i] is { } open)
            {
                client = open.Client;
                clientError = open.Error;
            }
            else
                clientError = "setns disabled by --netns.method=procfs";

            string? procNet = target.IsOwn ? Path.Combine(procfsPath, "net")
                : target.Pid is int pid ? Path.Combine(procfsPath, pid.ToString(System.Globalization.CultureInfo.InvariantCulture), "net")
                : null;
            if (!_buffers.TryGetValue(target.Inode, out var buffer))
                buffer = ([], []);
            buffers[target.Inode] = buffer;
            (List<SocketEntry> sockets, List<UnixSocketEntry> unix) = buffer;
            sockets.Clear();
            unix.Clear();
            List<SocketTableStatus> tables;
            using (client)
                tables = _tables.Read(client, clientError, procNet, sockets, unix);
            Deduplicate(sockets);

            NetNsMethod method = tables.All(t => t.Source == SocketSource.Netlink) ? viaNetlink
                : tables.All(t => t.Source == SocketSource.None) ? NetNsMethod.None
                : tables.Any(t => t.Source == SocketSource.Netlink) ? viaNetlink
                : NetNsMethod.ProcFs;
            result.Add(new NetNsSnapshot
            {
                Inode = target.Inode,
                Label = target.Label,
                IsHost = target.IsHost,
                Method = method,
                MethodError = clientError,
                Sockets = sockets,
                UnixSockets = unix,
                SocketTables = tables,
            });
        }
        _buffers = buffers;   // namespaces that are gone drop their buffers
        return result;
    }

    private NetNsOpenResult?[] OpenForeign(IReadOnlyList<NetNsTarget> targets)
    {
        var opened = new NetNsOpenResult?[targets.Count];
        if (procNetOnly || !useSetns)
            return opened;
        if (DateTime.UtcNow < _setnsDeniedUntil)
        {
            for (int i = 0; i < targets.Count; i++)
                if (!targets[i].IsOwn)
                    opened[i] = new NetNsOpenResult(null, Constants.EPERM, "setns: EPERM (no CAP_SYS_ADMIN; retried every 5 minutes)");
            return opened;
        }
        var indexes = new List<int>();
        var fds = new List<SafeFd>();
        try
        {
            for (int i = 0; i < targets.Count; i++)
            {
                NetNsTarget t = targets[i];
                if (t.IsOwn) continue;
                string path = t.NamedPath ?? Path.Combine(procfsPath, t.Pid!.Value.ToString(System.Globalization.CultureInfo.InvariantCulture), "ns", "net");
                int errno = Libc.OpenAt(null, PathBytes.ToNulTerminated(path), Constants.O_RDONLY, out SafeFd fd);
                if (errno != 0)
                {
                    fd.Dispose();
                    opened[i] = new NetNsOpenResult(null, errno, $"{path}: {Errno.Describe(errno)}");
                    continue;
                }
                indexes.Add(i);
                fds.Add(fd);
            }
            if (fds.Count == 0)
                return opened;
            NetNsOpenResult[] results;
            try
            {
                results = _worker.OpenSockDiagAsync(fds).GetAwaiter().GetResult();
            }
            catch (InvalidOperationException e)
            {
                results = fds.Select(_ => new NetNsOpenResult(null, Constants.EIO, e.Message)).ToArray();
            }
            for (int k = 0; k < indexes.Count; k++)
                opened[indexes[k]] = results[k];
            if (results.Length > 0 && results.All(r => r.Errno == Constants.EPERM))
                _setnsDeniedUntil = DateTime.UtcNow + SetnsRetryAfterDenial;
            return opened;
        }
        finally
        {
            foreach (SafeFd fd in fds) fd.Dispose();
        }
    }

    // Dumps are not atomic: a socket that moves between hash chains mid-dump can be reported twice.
    private void Deduplicate(List<SocketEntry> sockets)
    {
        HashSet<ulong> seen = _seen;
        seen.Clear();
        int write = 0;
        for (int read = 0; read < sockets.Count; read++)
        {
            SocketEntry s = sockets[read];
            if (s.Inode != 0 && !seen.Add(s.Inode))
                continue;
            sockets[write++] = s;
        }
        sockets.RemoveRange(write, sockets.Count - write);
    }

    public void Dispose() => _worker.Dispose();
}

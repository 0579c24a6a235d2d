using SocketExporter.Linux.Interop;

namespace SocketExporter.Linux.Namespaces;

/// <summary>
/// Finds every network namespace: the distinct /proc/[pid]/ns/net inodes under the proc root, plus names bound
/// under /run/netns (ip netns add) that no process uses. The host's namespace is pid 1's of the proc root —
/// never /proc/net, which is the exporter's own; when pid 1's link cannot be read, the exporter's own stands in.
/// </summary>
public sealed class NetNsDiscovery(string procfsPath)
{
    private readonly byte[] _link = new byte[64];

    public sealed record Result(IReadOnlyList<NetNsTarget> Targets, IReadOnlyDictionary<int, ulong> PidNamespaces, ulong OwnInode, bool HostFromPid1);

    public Result Discover(SafeFd procRoot, IReadOnlyList<int> pids, bool allNamespaces)
    {
        ulong own = ReadOwnInode();
        var pidNs = new Dictionary<int, ulong>(pids.Count);
        var firstPid = new Dictionary<ulong, int>();
        Span<byte> path = stackalloc byte[32];
        foreach (int pid in pids)
        {
            int length = PathBytes.WritePidPath(path, pid, "/ns/net"u8);
            if (Libc.ReadLinkAt(procRoot, path[..length], _link, out int n) != 0 || !NsLinkParser.TryParseNet(_link.AsSpan(0, n), out ulong inode))
                continue;   // gone, or hidden without CAP_SYS_PTRACE
            pidNs[pid] = inode;
            firstPid.TryAdd(inode, pid);
        }
        bool hostFromPid1 = pidNs.TryGetValue(1, out ulong host);
        if (!hostFromPid1)
            host = own;

        var targets = new List<NetNsTarget>();
        if (!allNamespaces)
        {
            targets.Add(new NetNsTarget(own, firstPid.TryGetValue(own, out int p) ? p : null, null) { IsOwn = true, IsHost = own == host });
            return new Result(targets, pidNs, own, hostFromPid1);
        }
        foreach ((ulong inode, int pid) in firstPid)
            targets.Add(new NetNsTarget(inode, pid, null) { IsOwn = inode == own, IsHost = inode == host });
        if (!firstPid.ContainsKey(own))
            targets.Add(new NetNsTarget(own, null, null) { IsOwn = true, IsHost = own == host });
        foreach ((string name, ulong inode) in NamedNamespaces())
            if (!targets.Any(t => t.Inode == inode))
                targets.Add(new NetNsTarget(inode, null, name) { IsHost = inode == host });
        targets.Sort((a, b) => b.IsHost.CompareTo(a.IsHost) != 0 ? b.IsHost.CompareTo(a.IsHost) : a.Inode.CompareTo(b.Inode));
        return new Result(targets, pidNs, own, hostFromPid1);
    }

    private ulong ReadOwnInode()
    {
        int errno = Libc.OpenAt(null, "/proc/self/ns/net\0"u8, Constants.O_RDONLY, out SafeFd fd);
        using (fd)
        {
            if (errno == 0 && Libc.Statx(fd, "\0"u8, Constants.AT_EMPTY_PATH, Constants.STATX_INO, out StatxBuffer stx) == 0)
                return stx.Ino;
        }
        return 0;
    }

    // `ip netns add NAME` bind-mounts the namespace at /run/netns/NAME; seen from a container through pid 1's root.
    // The exporter's own /run/netns is only the host's when it reads the host's own /proc.
    private IEnumerable<(string Path, ulong Inode)> NamedNamespaces()
    {
        string[] dirs = Path.GetFullPath(procfsPath) == "/proc"
            ? [Path.Combine(procfsPath, "1/root/run/netns"), "/run/netns"]
            : [Path.Combine(procfsPath, "1/root/run/netns")];
        foreach (string dir in dirs)
        {
            string[] names;
            try
            {
                names = Directory.GetFiles(dir);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue;
            }
            var found = new List<(string, ulong)>();
            foreach (string name in names)
                if (Libc.StatxFollow(PathBytes.ToNulTerminated(name), out StatxBuffer stx) == 0)
                    found.Add((name, stx.Ino));
            return found;
        }
        return [];
    }
}

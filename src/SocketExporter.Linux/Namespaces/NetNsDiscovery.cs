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
    private readonly byte[] _tasks = new byte[8 * 1024];

    /// <param name="ThreadOnly">Namespaces that no process is in, found only as one of a process's threads' (a thread
    /// that called unshare(CLONE_NEWNET) or setns): read through that thread's /proc/TID, counted apart.</param>
    public sealed record Result(IReadOnlyList<NetNsTarget> Targets, IReadOnlyDictionary<int, ulong> PidNamespaces)
    {
        public int ThreadOnly { get; init; }
    }

    public Result Discover(SafeFd procRoot, IReadOnlyList<int> pids, bool allNamespaces)
    {
        ulong own = ReadOwnInode();
        var pidNs = new Dictionary<int, ulong>(pids.Count);
        var firstPid = new Dictionary<ulong, int>();
        int threadOnly = 0;
        Span<byte> path = stackalloc byte[32];
        foreach (int pid in pids)
        {
            int length = PathBytes.WritePidPath(path, pid, "/ns/net"u8);
            if (Libc.ReadLinkAt(procRoot, path[..length], _link, out int n) != 0 || !NsLinkParser.TryParseNet(_link.AsSpan(0, n), out ulong inode))
                continue;   // gone, or hidden without CAP_SYS_PTRACE
            pidNs[pid] = inode;
            firstPid.TryAdd(inode, pid);
        }
        // Threads only after every process is recorded: a namespace a thread visits (a container runtime's setns) but a
        // process lives in is read through that process, not through a thread that may have left it by then.
        if (allNamespaces)
            foreach ((int pid, ulong inode) in pidNs)
                threadOnly += FindThreadNamespaces(procRoot, pid, inode, firstPid);
        if (!pidNs.TryGetValue(1, out ulong host))
            host = own;

        var targets = new List<NetNsTarget>();
        if (!allNamespaces)
        {
            targets.Add(new NetNsTarget(own, firstPid.TryGetValue(own, out int p) ? p : null, null) { IsOwn = true, IsHost = own == host });
            return new Result(targets, pidNs);
        }
        foreach ((ulong inode, int pid) in firstPid)
            targets.Add(new NetNsTarget(inode, pid, null) { IsOwn = inode == own, IsHost = inode == host });
        if (!firstPid.ContainsKey(own))
            targets.Add(new NetNsTarget(own, null, null) { IsOwn = true, IsHost = own == host });
        foreach ((string name, ulong inode) in NamedNamespaces())
            if (!targets.Any(t => t.Inode == inode))
                targets.Add(new NetNsTarget(inode, null, name) { IsHost = inode == host });
        targets.Sort((a, b) => b.IsHost.CompareTo(a.IsHost) != 0 ? b.IsHost.CompareTo(a.IsHost) : a.Inode.CompareTo(b.Inode));
        return new Result(targets, pidNs) { ThreadOnly = threadOnly };
    }

    /// <summary>
    /// unshare(CLONE_NEWNET) and setns move only the calling thread, so a namespace can live in one thread of a process
    /// whose /proc/PID/ns/net says otherwise. Each thread's /proc/PID/task/TID/ns/net is compared with the process's;
    /// a namespace seen nowhere else becomes a target through that thread: /proc/TID is reachable though not listed, so
    /// /proc/TID/net/* and /proc/TID/ns/net name the thread's namespace. Costs an open, a getdents64 and one readlink
    /// per extra thread of each process.
    /// </summary>
    private int FindThreadNamespaces(SafeFd procRoot, int pid, ulong processNs, Dictionary<ulong, int> firstPid)
    {
        Span<byte> path = stackalloc byte[32];
        int length = PathBytes.WritePidPath(path, pid, "/task"u8);
        if (Libc.OpenAt(procRoot, path[..length], Constants.O_RDONLY | Constants.O_DIRECTORY, out SafeFd taskDir) != 0)
        {
            taskDir.Dispose();
            return 0;   // gone
        }
        int found = 0;
        using (taskDir)
        {
            while (Libc.GetDents64(taskDir, _tasks, out int read) == 0 && read > 0)
            {
                var entries = new ProcFs.DirectoryEntries(_tasks.AsSpan(0, read));
                while (entries.MoveNext())
                {
                    if (!System.Buffers.Text.Utf8Parser.TryParse(entries.Name, out int tid, out int used) || used != entries.Name.Length || tid == pid)
                        continue;   // ".", "..", the main thread
                    length = PathBytes.WritePidPath(path, tid, "/ns/net"u8);
                    if (Libc.ReadLinkAt(taskDir, path[..length], _link, out int n) != 0 || !NsLinkParser.TryParseNet(_link.AsSpan(0, n), out ulong inode))
                        continue;   // the thread exited
                    if (inode != processNs && firstPid.TryAdd(inode, tid))
                        found++;
                }
            }
        }
        return found;
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

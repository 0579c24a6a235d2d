using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;
using SocketExporter.Linux.Interop;
using SocketExporter.Linux.ProcFs;
using SocketExporter.Linux.Reading;
using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Linux.Tests.Reading;

/// <summary>
/// The parallel /proc walk on real processes this test spawns: python3 holders that each open a few sockets (one of
/// them dup'ed) and fork, so parent and child hold the same sockets, and report the inodes (os.fstat) themselves.
/// </summary>
[Trait("Category", "Integration")]
public sealed class ProcessWalkTests : IDisposable
{
    // pid_max can be at most 2^22 (PID_MAX_LIMIT, include/linux/threads.h): no process has these.
    private const int ImpossiblePidBase = (1 << 22) + 1;

    private const string HolderScript = """
        import json, os, socket, sys
        socks = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(int(sys.argv[1]))]
        extra = os.dup(socks[0].fileno())   # one socket through two descriptors
        child = os.fork()
        if child == 0:
            sys.stdin.read()
            os._exit(0)
        print(json.dumps({"inodes": [os.fstat(s.fileno()).st_ino for s in socks], "child": child}), flush=True)
        sys.stdin.read()
        """;

    private readonly List<Holder> _holders = [];

    [Fact]
    public async Task WalkAsync_FourThreads_GivesTheOneThreadWalkAndEveryHolderItsSockets()
    {
        StartHolders(12);
        using SafeFd root = OpenProc();
        List<int> pids = ListPids(root);

        (ProcessWalk.Result one, SocketOwnerIndex oneOwners) = await WalkAsync(root, pids, workers: 1);
        // A busy host can leave the pool's helpers unstarted until the caller has taken every chunk: walk again until
        // they took part, or the comparison would not cover joining several threads' findings.
        ProcessWalk.Result many;
        SocketOwnerIndex manyOwners;
        int attempts = 0;
        do (many, manyOwners) = await WalkAsync(root, pids, workers: 4);
        while (many.Threads < 2 && ++attempts < 50);

        Assert.Equal(1, one.Threads);
        Assert.True(many.Threads >= 2, $"only {many.Threads} thread read in {attempts} walks");
        Assert.Empty(many.Unwalked);
        // Every process both walks saw, in the same order (the host's other processes may come and go in between).
        var inOne = one.Processes.Select(p => p.Pid).ToHashSet();
        var inMany = many.Processes.Select(p => p.Pid).ToHashSet();
        Assert.True(inOne.Count > 24, $"{inOne.Count} processes");
        Assert.Equal(one.Processes.Select(p => p.Pid).Where(inMany.Contains), many.Processes.Select(p => p.Pid).Where(inOne.Contains));
        foreach (Holder holder in _holders)
        {
            foreach (ProcessWalk.Result walk in new[] { one, many })
                foreach (int pid in new[] { holder.Pid, holder.Child })
                {
                    ProcessEntry entry = Assert.Single(walk.Processes, p => p.Pid == pid);
                    Assert.Equal(holder.Inodes.Length + 1, entry.Fds[FdKind.Socket]);   // the dup'ed one twice
                }
            foreach (ulong inode in holder.Inodes)
            {
                int[] heldInOne = HolderPids(one, oneOwners, inode), heldInMany = HolderPids(many, manyOwners, inode);
                Assert.Equal(new[] { holder.Pid, holder.Child }.Order(), heldInOne.Order());   // once each, dup or not
                Assert.Equal(heldInOne, heldInMany);   // and in the same order
            }
        }
    }

    [Fact]
    public async Task WalkAsync_DeadlinePassesAfterTwentyProcesses_ReadsTwentyAndReturnsTheRestUnwalked()
    {
        StartHolders(12);
        List<int> pids = [.. _holders.SelectMany(h => new[] { h.Pid, h.Child })];
        pids.AddRange(Enumerable.Range(ImpossiblePidBase, 40));
        const int allowed = 20;
        int asked = 0;
        using SafeFd root = OpenProc();

        (ProcessWalk.Result walk, SocketOwnerIndex owners) = await WalkAsync(root, pids, workers: 4,
            () => Interlocked.Increment(ref asked) > allowed);

        Assert.Equal(pids.Count - allowed, walk.Unwalked.Count);
        Assert.Equal(walk.Unwalked.Count, walk.Unwalked.Distinct().Count());
        Assert.Subset(pids.ToHashSet(), walk.Unwalked.ToHashSet());
        var walked = pids.Except(walk.Unwalked).ToHashSet();
        Assert.Equal(allowed, walked.Count);
        // Exactly the holders among the walked pids are recorded, each with its sockets; none of the unwalked.
        int[] expected = [.. _holders.SelectMany(h => new[] { h.Pid, h.Child }).Where(walked.Contains).Order()];
        Assert.Equal(expected, walk.Processes.Select(p => p.Pid).Order());
        foreach (Holder holder in _holders)
            foreach (ulong inode in holder.Inodes)
                Assert.Equal(new[] { holder.Pid, holder.Child }.Where(walked.Contains).Order(), HolderPids(walk, owners, inode).Order());
    }

    [Fact]
    public async Task WalkAsync_ExitedAndZombieProcesses_AreSkippedWithoutFailure()
    {
        StartHolders(12);
        var gone = new HashSet<int>();
        for (int i = 0; i < _holders.Count; i += 3)
        {
            // The whole holder exits: the parent first, so that the orphaned child goes to init to be reaped (or, where
            // the container's init does not reap, stays a zombie: either way the walk must skip it).
            Holder holder = _holders[i];
            holder.Process.Kill();
            holder.Process.WaitForExit();
            KillAndWaitGoneOrZombie(holder.Child);
            gone.Add(holder.Pid);
            gone.Add(holder.Child);
        }
        for (int i = 1; i < _holders.Count; i += 3)
        {
            // Only the child dies: its parent does not reap it, so it stays a zombie, with a stat but no descriptors.
            KillAndWaitZombie(_holders[i].Child);
            gone.Add(_holders[i].Child);
        }
        List<int> pids = [.. _holders.SelectMany(h => new[] { h.Pid, h.Child })];
        pids.AddRange(Enumerable.Range(ImpossiblePidBase, 20));
        using SafeFd root = OpenProc();

        (ProcessWalk.Result walk, SocketOwnerIndex owners) = await WalkAsync(root, pids, workers: 4);

        int[] alive = [.. _holders.SelectMany(h => new[] { h.Pid, h.Child }).Where(p => !gone.Contains(p)).Order()];
        Assert.Equal(12, alive.Length);   // 24 - 4 whole holders - 4 zombie children
        Assert.Equal(alive, walk.Processes.Select(p => p.Pid).Order());
        Assert.Equal((0, 0, 0), (walk.Failed, walk.Unreadable, walk.Unwalked.Count));
        foreach (Holder holder in _holders.Where(h => !gone.Contains(h.Pid)))
            foreach (ulong inode in holder.Inodes)
                Assert.Equal(new[] { holder.Pid, holder.Child }.Where(p => !gone.Contains(p)).Order(), HolderPids(walk, owners, inode).Order());
    }

    [Fact]
    public async Task WalkAsync_NextWalkClaimsHeaviestProcessesFirst_NewPidsBeforeAll()
    {
        StartHolders(8);   // 1 to 4 sockets each (and their forked children)
        using SafeFd root = OpenProc();
        List<int> pids = [.. _holders.Select(h => h.Process.Id), .. _holders.Select(h => h.Child)];
        var options = new SnapshotOptions { WalkWorkers = 2, ReadFdLimits = false };
        var walk = new ProcessWalk(options, new ProcessIdentityCache(), new UserDirectory("/proc"), keepSockets: null);
        ProcessWalk.Result first = await walk.WalkAsync(root, pids, [], new SocketOwnerIndex(), 64, CancellationToken.None, null);
        Dictionary<int, int> descriptors = first.Processes.ToDictionary(p => p.Pid, p => p.Fds.Total);
        Assert.True(descriptors.Values.Distinct().Count() > 1, "the holders should differ in descriptors");

        List<int> next = [ImpossiblePidBase, .. pids];   // a pid the last walk did not see
        int[] order = walk.ClaimOrder(next, next.Count)[..next.Count];

        Assert.Equal(0, order[0]);   // the unknown one: its weight could be anything
        int[] weights = [.. order.Skip(1).Select(c => descriptors[next[c]])];
        Assert.Equal(weights.OrderDescending(), weights);
        Assert.Equal(Enumerable.Range(0, next.Count), order.Order());
    }

    private static async Task<(ProcessWalk.Result, SocketOwnerIndex)> WalkAsync(SafeFd root, List<int> pids, int workers,
        Func<bool>? pastDeadline = null)
    {
        var options = new SnapshotOptions { WalkWorkers = workers, ReadFdLimits = false };
        var walk = new ProcessWalk(options, new ProcessIdentityCache(), new UserDirectory("/proc"), keepSockets: null);
        var owners = new SocketOwnerIndex();
        ProcessWalk.Result result = await walk.WalkAsync(root, pids, [], owners, 64, CancellationToken.None, pastDeadline);
        return (result, owners);
    }

    private static int[] HolderPids(ProcessWalk.Result walk, SocketOwnerIndex owners, ulong inode)
    {
        var pids = new List<int>();
        foreach (int index in owners.GetOwners(inode))
            pids.Add(walk.Processes[index].Pid);
        return [.. pids];
    }

    private void StartHolders(int count)
    {
        var started = new List<Process>();
        for (int i = 0; i < count; i++)
        {
            var info = new ProcessStartInfo("python3") { RedirectStandardInput = true, RedirectStandardOutput = true };
            info.ArgumentList.Add("-c");
            info.ArgumentList.Add(HolderScript);
            info.ArgumentList.Add((i % 4 + 1).ToString(System.Globalization.CultureInfo.InvariantCulture));
            started.Add(Process.Start(info)!);
        }
        foreach (Process process in started)
        {
            string line = process.StandardOutput.ReadLine() ?? throw new InvalidOperationException($"holder {process.Id} exited early");
            using JsonDocument doc = JsonDocument.Parse(line);
            _holders.Add(new Holder(process, doc.RootElement.GetProperty("child").GetInt32(),
                [.. doc.RootElement.GetProperty("inodes").EnumerateArray().Select(e => e.GetUInt64())]));
        }
    }

    private static void KillAndWaitGoneOrZombie(int pid)
    {
        Assert.Equal(0, Kill(pid, 9));
        for (int i = 0; i < 500 && !IsZombie(pid) && Directory.Exists($"/proc/{pid}"); i++)
            Thread.Sleep(10);
        Assert.True(IsZombie(pid) || !Directory.Exists($"/proc/{pid}"), $"pid {pid} still running");
    }

    private static void KillAndWaitZombie(int pid)
    {
        Assert.Equal(0, Kill(pid, 9));
        for (int i = 0; i < 500 && !IsZombie(pid); i++)
            Thread.Sleep(10);
        Assert.True(IsZombie(pid), $"pid {pid} is not a zombie");
    }

    private static bool IsZombie(int pid)
    {
        try { return File.ReadAllText($"/proc/{pid}/stat").Contains(") Z ", StringComparison.Ordinal); }
        catch (IOException) { return false; }   // gone (FileNotFound/DirectoryNotFound are IOExceptions)
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    private static SafeFd OpenProc()
    {
        int errno = Libc.OpenAt(null, "/proc\0"u8, Constants.O_RDONLY | Constants.O_DIRECTORY, out SafeFd root);
        Assert.True(errno == 0, Errno.Describe(errno));
        return root;
    }

    private static List<int> ListPids(SafeFd root)
    {
        var pids = new List<int>();
        Assert.Equal(0, new PidLister().List(root, pids));
        return pids;
    }

    public void Dispose()
    {
        foreach (Holder holder in _holders)
        {
            // EOF on stdin ends parent and child (the child is never killed by pid here: once it exits, its pid may be
            // another process's).
            if (!holder.Process.HasExited)
            {
                holder.Process.StandardInput.Close();
                if (!holder.Process.WaitForExit(5000))
                    holder.Process.Kill();
            }
            holder.Process.Dispose();
        }
    }

    private sealed record Holder(Process Process, int Child, ulong[] Inodes)
    {
        public int Pid => Process.Id;
    }
}

using System.Collections;
using System.Diagnostics;
using System.Runtime.InteropServices;
using SocketExporter.Linux.Interop;
using SocketExporter.Linux.ProcFs;
using SocketExporter.Linux.Reading;
using SocketExporter.Linux.Snapshot;
using SocketExporter.Linux.Tests.Infrastructure;

namespace SocketExporter.Linux.Tests.Reading;

/// <summary>ProcessReader says what it read: a status, and the entry to record or null when there is none.</summary>
public sealed class ProcessReaderTests : IDisposable
{
    private readonly DirectoryInfo _tree = Directory.CreateTempSubdirectory("process-reader-");

    public void Dispose() => _tree.Delete(recursive: true);

    [Fact, Trait("Category", "Unit")]
    public void Read_FixturePid4242_ReturnsItsEntryWithCountsAndOwnsItsSocketsUnderTheGivenIndex()
    {
        (ProcessReadStatus status, ProcessEntry? entry, FdWalkSink sink) = Read(Fixture.Path("proc"), 4242, index: 3);

        Assert.Equal(ProcessReadStatus.Read, status);
        Assert.NotNull(entry);
        Assert.Equal((4242, "evil) x", true, 10), (entry.Pid, entry.Identity.Program, entry.FdsReadable, entry.Fds.Total));
        Assert.Equal(4, entry.Fds[FdKind.Socket]);
        var owners = new List<int>();
        foreach (int owner in ProcFs.FdWalkerTests.Index(sink).GetOwners(5001))
            owners.Add(owner);
        Assert.Equal([3], owners);
        Assert.NotNull(entry.FdLimit);
    }

    [Fact, Trait("Category", "Unit")]
    public void Read_MalformedStat_FailsWithoutEntry()
    {
        // proc/4243/stat is cut after its sixth field (Fixtures/README.md).
        (ProcessReadStatus status, ProcessEntry? entry, FdWalkSink sink) = Read(Fixture.Path("proc"), 4243, index: 0);

        Assert.Equal((ProcessReadStatus.Failed, null), (status, entry));
        Assert.Equal(0, ProcFs.FdWalkerTests.Index(sink).SocketCount);
    }

    [Fact, Trait("Category", "Unit")]
    public void Read_MissingPid_IsGoneWithoutEntry()
    {
        (ProcessReadStatus status, ProcessEntry? entry, _) = Read(Fixture.Path("proc"), 4299, index: 0);   // no such directory in the fixture tree

        Assert.Equal((ProcessReadStatus.Gone, null), (status, entry));
    }

    [Fact, Trait("Category", "Unit")]
    public void Read_Zombie_IsGoneWithoutEntry()
    {
        WriteStat(77, 'Z');
        Directory.CreateDirectory(Path.Combine(_tree.FullName, "77", "fd"));

        (ProcessReadStatus status, ProcessEntry? entry, _) = Read(_tree.FullName, 77, index: 0);

        Assert.Equal((ProcessReadStatus.Gone, null), (status, entry));
    }

    [Fact, Trait("Category", "Unit")]
    public void Read_ExitedBeforeItsFdTable_IsGoneButKeepsItsEntryMarkedUnreadable()
    {
        // A stat but no fd directory: the process exited between the two reads. Its entry is still returned, since a
        // walk cut short by an exit may already have recorded its sockets under its index.
        WriteStat(78, 'S');

        (ProcessReadStatus status, ProcessEntry? entry, _) = Read(_tree.FullName, 78, index: 0);

        Assert.Equal(ProcessReadStatus.Gone, status);
        Assert.NotNull(entry);
        Assert.Equal((78, false, 0, null), (entry.Pid, entry.FdsReadable, entry.Fds.Total, entry.FdLimit));
    }

    [Fact, Trait("Category", "Integration")]
    public void Read_FdTableDeniedAfterItsListenerWasRead_RecordsNothingAndIsDenied()
    {
        // The race of UnreadableFdTableTests, forced: a child holds a listener and, after it, more descriptors; the
        // sink's keepSockets lookup runs right after readlinkat read the listener's link, and there makes the child
        // clear its dumpable flag, so readlinkat of the next descriptor is denied. The reading thread has no
        // CAP_SYS_PTRACE (dropped for that thread only); with the child's uid, it may read the table only while the
        // child is dumpable.
        const string Child = """
            import ctypes, os, socket, sys
            libc = ctypes.CDLL(None, use_errno=True)
            s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
            after = [os.open("/dev/null", os.O_RDONLY) for _ in range(3)]   # walked after the listener
            print(os.fstat(s.fileno()).st_ino, flush=True)
            sys.stdin.readline()
            libc.prctl(4, 0, 0, 0, 0)   # PR_SET_DUMPABLE 0
            print("flipped", flush=True)
            sys.stdin.read()
            """;
        // Without capabilities: ptrace access also needs the child's permitted set inside the reader's effective one.
        var info = new ProcessStartInfo("setpriv") { RedirectStandardInput = true, RedirectStandardOutput = true };
        foreach (string arg in (string[])["--bounding-set=-all", "--inh-caps=-all", "python3", "-c", Child])
            info.ArgumentList.Add(arg);
        using Process child = Process.Start(info)!;
        try
        {
            ulong listener = ulong.Parse(child.StandardOutput.ReadLine() ?? "", System.Globalization.CultureInfo.InvariantCulture);
            bool flipped = false;
            var keep = new LookupHook(inode =>
            {
                if (inode == listener && !flipped)
                {
                    child.StandardInput.WriteLine("flip");
                    child.StandardInput.Flush();
                    Assert.Equal("flipped", child.StandardOutput.ReadLine());
                    flipped = true;
                }
                return true;
            });

            (ProcessReadStatus Status, ProcessEntry? Entry, FdWalkSink? Sink) read = default;
            Exception? failure = null;
            var reader = new Thread(() =>
            {
                try
                {
                    DropPtraceCapabilityOfThisThread();
                    read = Read("/proc", child.Id, index: 0, keep);
                }
                catch (Exception e) { failure = e; }
            });
            reader.Start();
            reader.Join();

            Assert.Null(failure);
            (ProcessReadStatus status, ProcessEntry? entry, FdWalkSink? sink) = read;
            Assert.NotNull(sink);
            Assert.True(flipped, "the walk never read the listener's link, so it was not denied part-way");
            Assert.Equal(ProcessReadStatus.FdsDenied, status);
            // Read whole or not at all: the listener read before the denial is not attributed, nothing else is counted.
            Assert.Empty(sink.SocketHolds);
            Assert.Equal((0, 0), (sink.Counts.Total, sink.KeptSockets));
            Assert.Null(entry);   // a walk keeping only some sockets records no process that holds none of them
        }
        finally
        {
            child.Kill();
            child.WaitForExit();
        }
    }

    /// <summary>A keep-every-socket set that calls <c>contains</c> on each lookup: FdWalkSink asks it once per socket
    /// descriptor, right after that descriptor's link was read.</summary>
    private sealed class LookupHook(Func<ulong, bool> contains) : IReadOnlySet<ulong>
    {
        public bool Contains(ulong item) => contains(item);
        public int Count => throw new NotSupportedException();
        public IEnumerator<ulong> GetEnumerator() => throw new NotSupportedException();
        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
        public bool IsProperSubsetOf(IEnumerable<ulong> other) => throw new NotSupportedException();
        public bool IsProperSupersetOf(IEnumerable<ulong> other) => throw new NotSupportedException();
        public bool IsSubsetOf(IEnumerable<ulong> other) => throw new NotSupportedException();
        public bool IsSupersetOf(IEnumerable<ulong> other) => throw new NotSupportedException();
        public bool Overlaps(IEnumerable<ulong> other) => throw new NotSupportedException();
        public bool SetEquals(IEnumerable<ulong> other) => throw new NotSupportedException();
    }

    // capabilities are per thread: capset(2) with pid 0 changes only the calling one, and dies with it.
    private static void DropPtraceCapabilityOfThisThread()
    {
        const uint Version3 = 0x20080522;   // _LINUX_CAPABILITY_VERSION_3: two 32-bit words per set
        const int CapSysPtrace = 19;        // include/uapi/linux/capability.h
        var header = new CapHeader { Version = Version3 };
        var data = new CapData[2];
        Assert.True(CapGet(ref header, data) == 0, $"capget: errno {Marshal.GetLastPInvokeError()}");
        data[0].Effective &= ~(1u << CapSysPtrace);
        Assert.True(CapSet(ref header, data) == 0, $"capset: errno {Marshal.GetLastPInvokeError()}");
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct CapHeader { public uint Version; public int Pid; }

    [StructLayout(LayoutKind.Sequential)]
    private struct CapData { public uint Effective, Permitted, Inheritable; }

    [DllImport("libc", EntryPoint = "capget", SetLastError = true)]
    private static extern int CapGet(ref CapHeader header, [Out] CapData[] data);

    [DllImport("libc", EntryPoint = "capset", SetLastError = true)]
    private static extern int CapSet(ref CapHeader header, [In] CapData[] data);

    private void WriteStat(int pid, char state)
    {
        Directory.CreateDirectory(Path.Combine(_tree.FullName, pid.ToString()));
        string stat = File.ReadAllText(Fixture.Path("proc/1/stat")).Replace("1 (systemd) R ", $"{pid} (test) {state} ");
        File.WriteAllText(Path.Combine(_tree.FullName, pid.ToString(), "stat"), stat);
    }

    private static (ProcessReadStatus, ProcessEntry?, FdWalkSink) Read(string procfs, int pid, int index,
        IReadOnlySet<ulong>? keepSockets = null)
    {
        int errno = Libc.OpenAt(null, PathBytes.ToNulTerminated(procfs), Constants.O_RDONLY | Constants.O_DIRECTORY, out SafeFd root);
        Assert.True(errno == 0, $"open {procfs}: {Errno.Describe(errno)}");
        using (root)
        {
            var files = new ProcFileReader();
            var reader = new ProcessReader(new SnapshotOptions { ProcfsPath = procfs }, files, new ProcessIdentityCache(),
                new UserDirectory(procfs));
            var sink = new FdWalkSink(statPaths: false, keepSockets: keepSockets);
            (ProcessReadStatus status, ProcessEntry? entry) = reader.Read(root, pid, index, sink, [], []);
            return (status, entry, sink);
        }
    }
}

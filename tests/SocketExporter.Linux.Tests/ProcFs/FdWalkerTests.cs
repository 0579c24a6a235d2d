using System.IO.Pipes;
using System.Net;
using SocketExporter.Linux.Interop;
using SocketExporter.Linux.ProcFs;
using SocketExporter.Linux.Snapshot;
using SocketExporter.Linux.Tests.Infrastructure;

namespace SocketExporter.Linux.Tests.ProcFs;

public sealed class FdWalkerTests
{
    // Beyond PID_MAX_LIMIT (2^22, include/linux/threads.h): no process can ever have this pid.
    private const int ImpossiblePid = (1 << 22) + 1;

    [Fact, Trait("Category", "Unit")]
    public void Walk_FixturePid4242_CountsKindsAndRecordsSocketInodes()
    {
        using SafeFd root = OpenDirectory(Fixture.Path("proc"));
        var sink = new FdWalkSink(statPaths: false);
        sink.StartProcess(7);

        FdWalkStatus status = new FdWalker().Walk(root, 4242, sink);
        FdKindCounts counts = sink.Counts;
        List<DeviceHold> devices = sink.Devices;

        Assert.Equal(FdWalkStatus.Read, status);
        Assert.Equal(10, counts.Total);
        Assert.Equal((4, 1, 1, 3, 1), (counts[FdKind.Socket], counts[FdKind.Pipe], counts[FdKind.AnonInode], counts[FdKind.File], counts[FdKind.Other]));
        Assert.Equal(4, Index(sink).SocketCount);
        foreach (ulong inode in new ulong[] { 5001, 5002, 616857, 616872 })
            Assert.Equal([7], Owners(sink, inode));
        Assert.Empty(devices);   // nothing was statx'ed
    }

    [Fact, Trait("Category", "Unit")]
    public void Walk_FixtureTree_SharedSocketHasBothHolders()
    {
        using SafeFd root = OpenDirectory(Fixture.Path("proc"));
        var walker = new FdWalker();
        var sink = new FdWalkSink(statPaths: false);

        sink.StartProcess(0);
        Assert.Equal(FdWalkStatus.Read, walker.Walk(root, 4242, sink));
        FdKindCounts counts4242 = sink.Counts;
        sink.StartProcess(1);
        Assert.Equal(FdWalkStatus.Read, walker.Walk(root, 1, sink));
        FdKindCounts counts1 = sink.Counts;

        // README: 5 unique socket inodes, 6 socket fds; 5001 held by 4242 and 1.
        Assert.Equal(5, Index(sink).SocketCount);
        Assert.Equal(6, counts4242[FdKind.Socket] + counts1[FdKind.Socket]);
        Assert.Equal([1, 0], Owners(sink, 5001));
        Assert.Equal([1], Owners(sink, 5003));
        Assert.Equal((6, 3, 2, 1), (counts1.Total, counts1[FdKind.File], counts1[FdKind.Socket], counts1[FdKind.AnonInode]));
    }

    [Fact, Trait("Category", "Unit")]
    public void Walk_FixturePidWithoutFdDirectory_IsVanishedWithNothingCounted()
    {
        using SafeFd root = OpenDirectory(Fixture.Path("proc"));
        var sink = new FdWalkSink(statPaths: true);
        sink.StartProcess(0);

        FdWalkStatus status = new FdWalker().Walk(root, 4243, sink);
        FdKindCounts counts = sink.Counts;

        Assert.Equal(FdWalkStatus.Vanished, status);
        Assert.Equal((0, 0), (counts.Total, Index(sink).SocketCount));
    }

    [Fact, Trait("Category", "Integration")]
    public void Walk_OwnProcess_RecordsOwnSocketsAndCountsPipeFileAndDirectory()
    {
        using var trio = new OwnTcpTrio(IPAddress.Loopback);
        using var pipe = new AnonymousPipeServerStream(PipeDirection.Out);
        string file = Path.GetTempFileName();
        try
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.ReadWrite);
            using SafeFd directory = OpenDirectory(Path.GetTempPath());
            using SafeFd proc = OpenDirectory("/proc");
            var sink = new FdWalkSink(statPaths: true);
            sink.StartProcess(3);

            FdWalkStatus status = new FdWalker().Walk(proc, Environment.ProcessId, sink);
            FdKindCounts counts = sink.Counts;
            List<DeviceHold> devices = sink.Devices;

            Assert.Equal(FdWalkStatus.Read, status);
            ulong[] inodes = trio.Inodes;
            Assert.Equal(3, inodes.Distinct().Count());
            Assert.All(inodes, inode => Assert.Equal([3], Owners(sink, inode)));
            Assert.True(counts[FdKind.Socket] >= 3, $"sockets: {counts[FdKind.Socket]}");
            Assert.True(counts[FdKind.Pipe] >= 2, $"pipes: {counts[FdKind.Pipe]}");          // both ends of the pipe
            Assert.True(counts[FdKind.File] >= 1, $"files: {counts[FdKind.File]}");
            Assert.True(counts[FdKind.Directory] >= 1, $"directories: {counts[FdKind.Directory]}");
            Assert.True(counts.Total >= 7);
            // Each device descriptor gives exactly one hold, attributed to the walked process.
            Assert.Equal(counts[FdKind.CharDevice] + counts[FdKind.BlockDevice], devices.Count);
            Assert.All(devices, d => Assert.Equal(3, d.ProcessIndex));
            GC.KeepAlive(stream);
            GC.KeepAlive(pipe.ClientSafePipeHandle);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact, Trait("Category", "Integration")]
    public void Walk_OwnProcessWithoutStat_PathsStayFiles()
    {
        using SafeFd directory = OpenDirectory(Path.GetTempPath());
        using SafeFd proc = OpenDirectory("/proc");
        var sink = new FdWalkSink(statPaths: false);
        sink.StartProcess(0);

        FdWalkStatus status = new FdWalker().Walk(proc, Environment.ProcessId, sink);
        FdKindCounts counts = sink.Counts;

        Assert.Equal(FdWalkStatus.Read, status);
        Assert.True(counts[FdKind.File] >= 1);
        Assert.Equal((0, 0, 0), (counts[FdKind.Directory], counts[FdKind.CharDevice], counts[FdKind.BlockDevice]));
    }

    [Fact, Trait("Category", "Integration")]
    public void Walk_OwnProcessWithTruncatingBuffer_EveryLinkIsTruncatedYetSocketsAreStillAttributed()
    {
        // An 8-byte buffer cuts every "socket:[N]", "pipe:[N]" and path: each is reported truncated (never parsed
        // as a short target), and statx on the link still finds each socket's inode and each descriptor's kind.
        using var trio = new OwnTcpTrio(IPAddress.Loopback);
        using SafeFd proc = OpenDirectory("/proc");
        var sink = new FdWalkSink(statPaths: false);
        sink.StartProcess(5);
        var walker = new FdWalker(targetBufferSize: 8);

        FdWalkStatus status = walker.Walk(proc, Environment.ProcessId, sink);
        FdKindCounts counts = sink.Counts;

        Assert.Equal(FdWalkStatus.Read, status);
        FdReadProblems problems = sink.Problems;
        Assert.True(problems.Truncated >= 3, $"truncated: {problems.Truncated}");
        Assert.Equal((0, 0), (problems.NameTooLong, problems.Failed));
        Assert.All(trio.Inodes, inode => Assert.Equal([5], Owners(sink, inode)));
        Assert.True(counts[FdKind.Socket] >= 3, $"sockets: {counts[FdKind.Socket]}");
    }

    [Fact, Trait("Category", "Integration")]
    public void Walk_NonexistentPid_IsVanished()
    {
        using SafeFd proc = OpenDirectory("/proc");
        var sink = new FdWalkSink(statPaths: true);
        sink.StartProcess(0);

        FdWalkStatus status = new FdWalker().Walk(proc, ImpossiblePid, sink);
        FdKindCounts counts = sink.Counts;

        Assert.Equal(FdWalkStatus.Vanished, status);
        Assert.Equal((0, 0), (counts.Total, Index(sink).SocketCount));
    }

    // A python3 child that closes what it inherited and opens `count` sockets (descriptors 3 and up: a dense table), then moves the last one to
    // descriptor `high` when that is not 0 (a table with a gap far wider than the probe's allowance), and reports the
    // sockets' inodes (os.fstat) and descriptor numbers.
    private const string TableScript = """
        import json, os, socket, sys
        count, high = int(sys.argv[1]), int(sys.argv[2])
        os.closerange(3, 65536)   # descriptors inherited from the test host (they would leave gaps of their own)
        socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(count)]
        fds = [s.fileno() for s in socks]
        if high:
            os.dup2(fds[-1], high)
            os.close(fds[-1])
            fds[-1] = high
        print(json.dumps({"inodes": [os.fstat(fd).st_ino for fd in fds], "fds": fds}), flush=True)
        sys.stdin.read()
        """;

    [Theory, Trait("Category", "Integration")]
    [InlineData(40, 0, 1, 0)]      // dense: read by number alone, no listing
    [InlineData(40, 900, 0, 1)]    // descriptor 900 past a gap of ~860 numbers: the listing finds it
    public void Walk_RealTable_ReadByNumberOrListed_GivesEverySocketExactlyOnce(int sockets, int high, int probed, int listed)
    {
        var info = new System.Diagnostics.ProcessStartInfo("python3") { RedirectStandardInput = true, RedirectStandardOutput = true };
        foreach (string a in new[] { "-c", TableScript, sockets.ToString(System.Globalization.CultureInfo.InvariantCulture),
                     high.ToString(System.Globalization.CultureInfo.InvariantCulture) })
            info.ArgumentList.Add(a);
        using var child = System.Diagnostics.Process.Start(info)!;
        try
        {
            using var doc = System.Text.Json.JsonDocument.Parse(child.StandardOutput.ReadLine() ?? throw new InvalidOperationException("child exited"));
            ulong[] inodes = [.. doc.RootElement.GetProperty("inodes").EnumerateArray().Select(e => e.GetUInt64())];
            using SafeFd proc = OpenDirectory("/proc");
            var walker = new FdWalker();
            var sink = new FdWalkSink(statPaths: false);
            sink.StartProcess(3);

            FdWalkStatus status = walker.Walk(proc, child.Id, sink);

            Assert.Equal(FdWalkStatus.Read, status);
            Assert.Equal((probed, listed), walker.Paths);
            // Exactly the child's descriptors, each once: its socket holds are its sockets, and the total is what the
            // kernel lists for it.
            Assert.Equal(inodes.Order(), sink.SocketHolds.Select(h => h.Inode).Order());
            Assert.All(inodes, inode => Assert.Equal([3], Owners(sink, inode)));
            Assert.Equal(Directory.GetFileSystemEntries($"/proc/{child.Id}/fd").Length, sink.Counts.Total);
        }
        finally
        {
            child.StandardInput.Close();
            child.WaitForExit();
        }
    }

    private static SafeFd OpenDirectory(string path)
    {
        int errno = Libc.OpenAt(null, PathBytes.ToNulTerminated(path), Constants.O_RDONLY | Constants.O_DIRECTORY, out SafeFd fd);
        Assert.True(errno == 0, $"open {path}: {Errno.Describe(errno)}");
        return fd;
    }

    /// <summary>The sink's socket holds as the snapshot keeps them.</summary>
    internal static SocketOwnerIndex Index(FdWalkSink sink)
    {
        var index = new SocketOwnerIndex();
        index.AddRange(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(sink.SocketHolds));
        return index;
    }

    private static List<int> Owners(FdWalkSink sink, ulong inode)
    {
        var owners = new List<int>();
        foreach (int process in Index(sink).GetOwners(inode))
            owners.Add(process);
        return owners;
    }
}

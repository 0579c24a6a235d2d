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

    private void WriteStat(int pid, char state)
    {
        Directory.CreateDirectory(Path.Combine(_tree.FullName, pid.ToString()));
        string stat = File.ReadAllText(Fixture.Path("proc/1/stat")).Replace("1 (systemd) R ", $"{pid} (test) {state} ");
        File.WriteAllText(Path.Combine(_tree.FullName, pid.ToString(), "stat"), stat);
    }

    private static (ProcessReadStatus, ProcessEntry?, FdWalkSink) Read(string procfs, int pid, int index)
    {
        int errno = Libc.OpenAt(null, PathBytes.ToNulTerminated(procfs), Constants.O_RDONLY | Constants.O_DIRECTORY, out SafeFd root);
        Assert.True(errno == 0, $"open {procfs}: {Errno.Describe(errno)}");
        using (root)
        {
            var files = new ProcFileReader();
            var reader = new ProcessReader(new SnapshotOptions { ProcfsPath = procfs }, files, new ProcessIdentityCache(),
                new UserDirectory(procfs));
            var sink = new FdWalkSink(statPaths: false);
            (ProcessReadStatus status, ProcessEntry? entry) = reader.Read(root, pid, index, sink, [], []);
            return (status, entry, sink);
        }
    }
}

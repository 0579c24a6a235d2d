using SocketExporter.Linux.ProcFs;
using SocketExporter.Linux.Snapshot;
using SocketExporter.Linux.Tests.Infrastructure;
using SocketExporter.Linux.Reading;

namespace SocketExporter.Linux.Tests.ProcFs;

public sealed class ProcRootTests
{
    private const long ProcSuperMagic = 0x9fa0, Tmpfs = 0x01021994, Ext4 = 0xef53;

    [Theory, Trait("Category", "Unit")]
    [InlineData(ProcSuperMagic, 120, ProcRootKind.Proc)]
    [InlineData(Ext4, 3, ProcRootKind.Copy)]             // a captured tree, the test fixtures
    [InlineData(Tmpfs, 0, ProcRootKind.NoProcesses)]     // /dev
    [InlineData(Ext4, 0, ProcRootKind.NoProcesses)]      // an empty directory
    [InlineData(ProcSuperMagic, 0, ProcRootKind.NoProcesses)]
    public void Judge_TypeAndProcessCount_GiveTheKind(long type, int processes, ProcRootKind kind)
    {
        ProcRootStatus status = ProcRootStatus.Judge(type, processes);
        Assert.Equal(kind, status.Kind);
        Assert.Equal(kind == ProcRootKind.Proc, status.Problem("/x") is null);
    }

    [Fact, Trait("Category", "Unit")]
    public void Problem_NotProcfsWithoutProcesses_NamesPathAndType()
    {
        string? problem = ProcRootStatus.Judge(Tmpfs, 0).Problem("/dev");
        Assert.Equal("/dev is not a proc filesystem (statfs f_type 0x1021994) and has no process directories; point --path.procfs at the host's /proc", problem);
    }

    [Fact, Trait("Category", "Integration")]
    public void StartupError_RealRoots_OnlyRootsWithoutProcessesAreRefused()
    {
        string empty = Directory.CreateTempSubdirectory("socket-exporter-emptyproc-").FullName;
        try
        {
            Assert.Null(ProcRoot.StartupError("/proc"));
            Assert.Null(ProcRoot.StartupError(Fixture.Path("proc")));   // a copy with pid directories: accepted
            Assert.Contains("has no process directories", ProcRoot.StartupError(empty));
            Assert.Contains("/dev is not a proc filesystem", ProcRoot.StartupError("/dev"));
            Assert.Contains("ENOENT", ProcRoot.StartupError(Path.Combine(empty, "missing")));
        }
        finally
        {
            Directory.Delete(empty);
        }
    }

    [Theory, Trait("Category", "Integration")]
    [InlineData("empty")]
    [InlineData("/dev")]
    public async Task Build_RootWithoutProcesses_IsAProcessErrorNotAnEmptyHost(string root)
    {
        string path = root == "empty" ? Directory.CreateTempSubdirectory("socket-exporter-emptyproc-").FullName : root;
        try
        {
            ScrapeSnapshot snapshot = await new SnapshotBuilder(new SnapshotOptions { ProcfsPath = path }).BuildAsync(CancellationToken.None);

            Assert.NotNull(snapshot.ProcessError);
            Assert.Contains("not a proc filesystem", snapshot.ProcessError.ToString());
            Assert.Equal(ProcRootKind.NoProcesses, snapshot.ProcRoot?.Kind);
        }
        finally
        {
            if (root == "empty") Directory.Delete(path);
        }
    }

    [Fact, Trait("Category", "Integration")]
    public async Task Build_RealProcAndFixtureCopy_AreProcAndCopy()
    {
        ScrapeSnapshot real = await new SnapshotBuilder(new SnapshotOptions()).BuildAsync(CancellationToken.None);
        ScrapeSnapshot copy = await new SnapshotBuilder(new SnapshotOptions { ProcfsPath = Fixture.Path("proc"), ProcNetOnly = true, ClassifyPathDescriptors = false }).BuildAsync(CancellationToken.None);

        Assert.Equal((ProcRootKind.Proc, (ReadFailure?)null), (real.ProcRoot?.Kind, real.ProcessError));
        Assert.Equal((ProcRootKind.Copy, (ReadFailure?)null), (copy.ProcRoot?.Kind, copy.ProcessError));
        Assert.True(real.ProcRoot?.ProcessCount > 1);
    }
}

using System.Text;
using SocketExporter.Linux.ProcFs;
using SocketExporter.Linux.Snapshot;
using SocketExporter.Linux.Tests.Infrastructure;

namespace SocketExporter.Linux.Tests.ProcFs;

[Trait("Category", "Unit")]
public sealed class FdTargetTests
{
    // Fixtures/README.md, proc/4242/fd: fd -> (kind, socket inode, needs statx).
    public static TheoryData<string, string, FdKind, ulong, bool> Pid4242Links => new()
    {
        { "0", "/dev/null", FdKind.File, 0, true },
        { "1", "pipe:[12345]", FdKind.Pipe, 0, false },
        { "3", "socket:[5001]", FdKind.Socket, 5001, false },
        { "4", "socket:[5002]", FdKind.Socket, 5002, false },
        { "5", "anon_inode:[eventpoll]", FdKind.AnonInode, 0, false },
        { "6", "/tmp/x (deleted)", FdKind.File, 0, true },
        { "7", "/memfd:buf (deleted)", FdKind.File, 0, true },
        { "8", "net:[4026531840]", FdKind.Other, 0, false },
        { "9", "socket:[616857]", FdKind.Socket, 616857, false },
        { "10", "socket:[616872]", FdKind.Socket, 616872, false },
    };

    [Fact]
    public void Pid4242Links_CoverEveryLinkInTheFixture()
    {
        string[] onDisk = Directory.GetFileSystemEntries(Fixture.Path("proc/4242/fd")).Select(Path.GetFileName).Order().ToArray()!;

        Assert.Equal(10, onDisk.Length);
        Assert.Equal(Pid4242Links.Select(row => (string)row[0]).Order(), onDisk);
    }

    [Theory]
    [MemberData(nameof(Pid4242Links))]
    public void Classify_FixtureLinkTarget_GivesKindInodeAndStatNeed(string fd, string target, FdKind kind, ulong inode, bool needsStat)
    {
        // Read the link itself (readlink), never what it points to: most targets do not exist.
        string path = Fixture.Path($"proc/4242/fd/{fd}");
        string? linkTarget = new FileInfo(path).LinkTarget;
        Assert.Equal(target, linkTarget);
        // ResolveLinkTarget without following gives the same text, made absolute against the fd directory.
        FileSystemInfo? resolved = File.ResolveLinkTarget(path, returnFinalTarget: false);
        Assert.NotNull(resolved);
        Assert.Equal(Path.GetFullPath(target, Fixture.Path("proc/4242/fd")), resolved.FullName);

        FdKind actual = FdTarget.Classify(Encoding.UTF8.GetBytes(linkTarget!), out ulong actualInode, out bool actualNeedsStat);

        Assert.Equal((kind, inode, needsStat), (actual, actualInode, actualNeedsStat));
    }

    [Fact]
    public void Classify_Pid1FixtureLinks_CountsByKind()
    {
        string[] links = Directory.GetFileSystemEntries(Fixture.Path("proc/1/fd"));
        Assert.Equal(6, links.Length);

        var kinds = links.Select(p => FdTarget.Classify(Encoding.UTF8.GetBytes(new FileInfo(p).LinkTarget!), out _, out _))
            .GroupBy(k => k).ToDictionary(g => g.Key, g => g.Count());

        Assert.Equal(3, kinds.Count);
        Assert.Equal((3, 2, 1), (kinds[FdKind.File], kinds[FdKind.Socket], kinds[FdKind.AnonInode]));
    }

    [Theory]
    [InlineData("socket:[12", 0ul)]                        // truncated by a short readlink buffer
    [InlineData("socket:[", 0ul)]
    [InlineData("socket:[]", 0ul)]
    [InlineData("socket:[abc]", 0ul)]
    [InlineData("socket:[-5]", 0ul)]
    [InlineData("socket:[18446744073709551616]", 0ul)]    // does not fit in 64 bits
    [InlineData("socket:[18446744073709551615]", ulong.MaxValue)]
    [InlineData("socket:[4294967296]", 4294967296ul)]      // inodes are 64-bit on current kernels
    [InlineData("socket:[0]", 0ul)]
    public void Classify_SocketTargets_AreSocketsWithTheParsedInodeOr0(string target, ulong inode)
    {
        FdKind kind = FdTarget.Classify(Encoding.ASCII.GetBytes(target), out ulong actual, out bool needsStat);

        Assert.Equal((FdKind.Socket, inode, false), (kind, actual, needsStat));
    }

    [Theory]
    [InlineData("pipe:[987]", FdKind.Pipe)]
    [InlineData("anon_inode:inotify", FdKind.AnonInode)]
    [InlineData("anon_inode:[eventfd]", FdKind.AnonInode)]
    [InlineData("anon_inode:[pidfd]", FdKind.AnonInode)]
    [InlineData("net:[4026531840]", FdKind.Other)]
    [InlineData("mnt:[4026531841]", FdKind.Other)]
    [InlineData("", FdKind.Other)]
    [InlineData("relative/path", FdKind.Other)]
    [InlineData("Socket:[5]", FdKind.Other)]               // prefixes are case-sensitive
    public void Classify_NonPathTargets_NeedNoStat(string target, FdKind expected)
    {
        FdKind kind = FdTarget.Classify(Encoding.ASCII.GetBytes(target), out ulong inode, out bool needsStat);

        Assert.Equal((expected, 0ul, false), (kind, inode, needsStat));
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/dev/sda1")]
    [InlineData("/var/log/syslog")]
    [InlineData("/memfd:socket:[1] (deleted)")]   // a memfd may be named anything
    public void Classify_Paths_AreFilesThatNeedStat(string target)
    {
        FdKind kind = FdTarget.Classify(Encoding.ASCII.GetBytes(target), out ulong inode, out bool needsStat);

        Assert.Equal((FdKind.File, 0ul, true), (kind, inode, needsStat));
    }
}

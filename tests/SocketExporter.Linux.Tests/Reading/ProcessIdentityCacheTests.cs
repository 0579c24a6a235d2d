using SocketExporter.Linux.ProcFs;
using SocketExporter.Linux.Snapshot;
using SocketExporter.Linux.Reading;

namespace SocketExporter.Linux.Tests.Reading;

[Trait("Category", "Unit")]
public sealed class ProcessIdentityCacheTests
{
    private static ProcStat Stat(int pid, ulong start = 100, string comm = "nginx") => new(pid, comm, 'S', 1, start);
    private static ProcessIdentity Identity(int pid, ulong start = 100, string comm = "nginx") => new(pid, pid.ToString(), comm, 0, "root", start);

    [Fact]
    public void SeenProcess_IsServedFromTheCache_ReusedPidIsNot()
    {
        var cache = new ProcessIdentityCache();
        cache.Add(Identity(10), Cgroup.ToArray());
        cache.Rotate();

        Assert.True(cache.TryGet(Stat(10), 0, Cgroup, out ProcessIdentity cached));
        Assert.Equal("nginx", cached.Program);
        Assert.False(cache.TryGet(Stat(10, start: 200), 0, Cgroup, out _));             // same pid, another process
        Assert.False(cache.TryGet(Stat(10, comm: "bash"), 0, Cgroup, out _));           // exec'd since
    }

    private static ReadOnlySpan<byte> Cgroup => "9:name=systemd:/system.slice/app.service\n0::/\n"u8;

    [Fact]
    public void ChangedUidOrCgroup_IsNotServedFromTheCache()
    {
        var cache = new ProcessIdentityCache();
        cache.Add(Identity(10), Cgroup.ToArray());
        cache.Rotate();

        Assert.False(cache.TryGet(Stat(10), 65534, Cgroup, out _));                           // setresuid since
        Assert.False(cache.TryGet(Stat(10), 0, "9:name=systemd:/other.scope\n0::/\n"u8, out _));   // moved since
        Assert.False(cache.TryGet(Stat(10), 0, default, out _));                               // unreadable now
        Assert.True(cache.TryGet(Stat(10), 0, Cgroup, out ProcessIdentity same));
        Assert.Equal("root", same.User);
    }

    [Fact]
    public void UnseenProcess_IsForgottenAfterOneScrape()
    {
        var cache = new ProcessIdentityCache();
        cache.Add(Identity(10), Cgroup.ToArray());
        cache.Rotate();
        cache.Rotate();   // a scrape that did not see pid 10
        Assert.False(cache.TryGet(Stat(10), 0, Cgroup, out _));
    }

    [Fact]
    public void WalkCutShort_KeepsOnlyTheProcessesItDidNotReach()
    {
        var cache = new ProcessIdentityCache();
        foreach (int pid in new[] { 10, 20, 30 }) cache.Add(Identity(pid), Cgroup.ToArray());
        cache.Rotate();

        // The next walk reached 10 (seen) and 20 (gone by then), and stopped at the deadline before 30.
        Assert.True(cache.TryGet(Stat(10), 0, Cgroup, out _));
        cache.Rotate([30]);

        Assert.True(cache.TryGet(Stat(10), 0, Cgroup, out _));
        Assert.False(cache.TryGet(Stat(20), 0, Cgroup, out _));   // reached and gone: not kept, however many scrapes are cut short
        Assert.True(cache.TryGet(Stat(30), 0, Cgroup, out _));
    }
}

using SocketExporter.Linux.ProcFs;
using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Linux.Tests.Snapshot;

public sealed class ProcessIdentityCacheTests
{
    private static ProcStat Stat(int pid, ulong start = 100, string comm = "nginx") => new(pid, comm, 'S', 1, start);
    private static ProcessIdentity Identity(int pid, ulong start = 100, string comm = "nginx") => new(pid, pid.ToString(), comm, 0, "root", start);

    [Fact]
    public void SeenProcess_IsServedFromTheCache_ReusedPidIsNot()
    {
        var cache = new ProcessIdentityCache();
        cache.Add(Identity(10));
        cache.Rotate();

        Assert.True(cache.TryGet(Stat(10), out ProcessIdentity cached));
        Assert.Equal("nginx", cached.Program);
        Assert.False(cache.TryGet(Stat(10, start: 200), out _));             // same pid, another process
        Assert.False(cache.TryGet(Stat(10, comm: "bash"), out _));           // exec'd since
    }

    [Fact]
    public void UnseenProcess_IsForgottenAfterOneScrape()
    {
        var cache = new ProcessIdentityCache();
        cache.Add(Identity(10));
        cache.Rotate();
        cache.Rotate();   // a scrape that did not see pid 10
        Assert.False(cache.TryGet(Stat(10), out _));
    }

    [Fact]
    public void WalkCutShort_KeepsOnlyTheProcessesItDidNotReach()
    {
        var cache = new ProcessIdentityCache();
        foreach (int pid in new[] { 10, 20, 30 }) cache.Add(Identity(pid));
        cache.Rotate();

        // The next walk reached 10 (seen) and 20 (gone by then), and stopped at the deadline before 30.
        Assert.True(cache.TryGet(Stat(10), out _));
        cache.Rotate([30]);

        Assert.True(cache.TryGet(Stat(10), out _));
        Assert.False(cache.TryGet(Stat(20), out _));   // reached and gone: not kept, however many scrapes are cut short
        Assert.True(cache.TryGet(Stat(30), out _));
    }
}

using System.Net;
using SocketExporter.Web;

namespace SocketExporter.Tests.Web;

[Trait("Category", "Unit")]
public sealed class SourceFairGateTests
{
    [Fact]
    public async Task EnterAsync_TwoSources_TakeTurnsWhateverTheQueueOrder()
    {
        var gate = new SourceFairGate(workers: 1, maxWaitingPerSource: 8);
        SourceFairGate.Lease first = (await gate.EnterAsync("a", CancellationToken.None))!;
        var order = new List<string>();
        var waiters = new List<Task>();
        foreach (string source in new[] { "a", "a", "a", "b" })
            waiters.Add(Waiter(source));
        first.Dispose();
        await Task.WhenAll(waiters);
        Assert.Equal(["a", "b", "a", "a"], order);

        async Task Waiter(string source)
        {
            using SourceFairGate.Lease? lease = await gate.EnterAsync(source, CancellationToken.None);
            Assert.NotNull(lease);
            lock (order) order.Add(source);
            await Task.Yield();
        }
    }

    [Fact]
    public async Task EnterAsync_NewSource_GoesBeforeTheNextTurnOfAFloodingOne()
    {
        var gate = new SourceFairGate(workers: 1, maxWaitingPerSource: 8);
        SourceFairGate.Lease held = (await gate.EnterAsync("x", CancellationToken.None))!;
        Task<SourceFairGate.Lease?> a1 = gate.EnterAsync("a", CancellationToken.None).AsTask(), a2 = gate.EnterAsync("a", CancellationToken.None).AsTask();
        held.Dispose();
        SourceFairGate.Lease? first = await a1;
        Assert.NotNull(first);
        Task<SourceFairGate.Lease?> b1 = gate.EnterAsync("b", CancellationToken.None).AsTask();   // arrives while a is served
        first.Dispose();
        // One place: had a's next turn come first, b would wait for a lease nobody gives back.
        SourceFairGate.Lease? newcomer = await b1.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.NotNull(newcomer);
        Assert.False(a2.IsCompleted, "the flooding source was served beside the newcomer");
        newcomer.Dispose();
        using SourceFairGate.Lease? second = await a2.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.NotNull(second);
    }

    [Fact]
    public async Task EnterAsync_SourceWithTooManyWaiting_RefusedAtOnceOthersStillQueue()
    {
        var gate = new SourceFairGate(workers: 1, maxWaitingPerSource: 2);
        SourceFairGate.Lease held = (await gate.EnterAsync("a", CancellationToken.None))!;
        ValueTask<SourceFairGate.Lease?> w1 = gate.EnterAsync("a", CancellationToken.None), w2 = gate.EnterAsync("a", CancellationToken.None);
        Assert.Null(await gate.EnterAsync("a", CancellationToken.None));
        ValueTask<SourceFairGate.Lease?> other = gate.EnterAsync("b", CancellationToken.None);
        Assert.False(other.IsCompleted);
        held.Dispose();
        using (SourceFairGate.Lease? l1 = await w1) Assert.NotNull(l1);
        using (SourceFairGate.Lease? lb = await other) Assert.NotNull(lb);
        using (SourceFairGate.Lease? l2 = await w2) Assert.NotNull(l2);
    }

    [Fact]
    public async Task EnterAsync_WaiterCancelled_IsSkippedAndThePlacePassesOn()
    {
        var gate = new SourceFairGate(workers: 1, maxWaitingPerSource: 8);
        SourceFairGate.Lease held = (await gate.EnterAsync("a", CancellationToken.None))!;
        using var cancel = new CancellationTokenSource();
        ValueTask<SourceFairGate.Lease?> abandoned = gate.EnterAsync("b", cancel.Token);
        ValueTask<SourceFairGate.Lease?> next = gate.EnterAsync("c", CancellationToken.None);
        cancel.Cancel();
        Assert.Null(await abandoned);
        held.Dispose();
        using SourceFairGate.Lease? lease = await next;
        Assert.NotNull(lease);
    }

    [Theory]
    [InlineData("192.0.2.7", "192.0.2.7")]
    [InlineData("::ffff:192.0.2.7", "192.0.2.7")]
    [InlineData("2001:db8:1:2:aaaa::1", "20010DB800010002")]
    [InlineData("2001:db8:1:2:bbbb::9", "20010DB800010002")]   // the same /64
    public void SourceOf_GroupsIpv6By64(string address, string source)
    {
        Assert.Equal(source, SourceFairGate.SourceOf(IPAddress.Parse(address)));
    }
}

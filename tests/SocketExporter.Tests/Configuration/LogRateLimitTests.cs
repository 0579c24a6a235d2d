using SocketExporter.Configuration;

namespace SocketExporter.Tests.Configuration;

[Trait("Category", "Unit")]
public sealed class LogRateLimitTests
{
    /// <summary>A clock the test moves by hand.</summary>
    private sealed class ManualClock : TimeProvider
    {
        public long Ticks;
        public override long TimestampFrequency => TimeSpan.TicksPerSecond;
        public override long GetTimestamp() => Ticks;
        public void Advance(TimeSpan by) => Ticks += by.Ticks;
    }

    [Fact]
    public void TryWrite_BurstThenOnePerSecond_CountsWhatItHeldBack()
    {
        var clock = new ManualClock();
        var limit = new LogRateLimit(clock);
        int written = 0, firstHeldBack = 0;
        for (int i = 0; i < 1000; i++)
        {
            if (limit.TryWrite(out int suppressed, out _, out bool start)) written++;
            if (start) firstHeldBack++;
            Assert.Equal(0, suppressed);
        }
        Assert.Equal(LogRateLimit.Burst, written);
        Assert.Equal(1, firstHeldBack);   // one summary scheduled for the whole run of held-back lines

        clock.Advance(TimeSpan.FromSeconds(2.5));
        Assert.True(limit.TryWrite(out int reported, out TimeSpan over, out _));
        Assert.Equal(1000 - LogRateLimit.Burst, reported);
        Assert.Equal(TimeSpan.FromSeconds(2.5), over);
        Assert.True(limit.TryWrite(out reported, out _, out _));   // the second token of the 2.5 s
        Assert.Equal(0, reported);
        Assert.False(limit.TryWrite(out _, out _, out bool again));
        Assert.True(again);
        Assert.Equal((1, TimeSpan.Zero), limit.TakeSummary());
        Assert.Equal((0, TimeSpan.Zero), limit.TakeSummary());
    }

    [Fact]
    public void TryWrite_QuietForLong_RefillsOnlyUpToTheBurst()
    {
        var clock = new ManualClock();
        var limit = new LogRateLimit(clock);
        clock.Advance(TimeSpan.FromHours(1));
        int written = Enumerable.Range(0, 100).Count(i => limit.TryWrite(out _, out _, out _));
        Assert.Equal(LogRateLimit.Burst, written);
    }
}

using System.Diagnostics;
using SocketExporter.Scraping;

namespace SocketExporter.Tests.Scraping;

[Trait("Category", "Unit")]
public sealed class ScrapeMemoryReclaimerTests
{
    private static bool WaitFor(Func<bool> condition, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > timeout) return false;
            Thread.Sleep(10);
        }
        return true;
    }

    [Fact]
    public void BurstOfResponses_IsFollowedByOneFullCollection()
    {
        using var reclaimer = new ScrapeMemoryReclaimer(TimeSpan.FromSeconds(30));
        int fullBefore = GC.CollectionCount(GC.MaxGeneration);
        for (int i = 0; i < 10; i++)
            reclaimer.AfterResponse();

        Assert.True(WaitFor(() => reclaimer.Runs == 1, TimeSpan.FromSeconds(5)), $"runs: {reclaimer.Runs}");
        Assert.True(WaitFor(() => GC.CollectionCount(GC.MaxGeneration) > fullBefore, TimeSpan.FromSeconds(5)));
        Thread.Sleep(200);
        Assert.Equal(1, reclaimer.Runs);
    }

    [Fact]
    public void ResponseSoonAfterACollection_WaitsForTheInterval_ButIsNotSkipped()
    {
        var interval = TimeSpan.FromMilliseconds(1500);
        using var reclaimer = new ScrapeMemoryReclaimer(interval);
        reclaimer.AfterResponse();
        Assert.True(WaitFor(() => reclaimer.Runs == 1, TimeSpan.FromSeconds(5)));
        long first = reclaimer.LastRunMilliseconds;

        reclaimer.AfterResponse();
        reclaimer.AfterResponse();
        Assert.True(WaitFor(() => reclaimer.Runs == 2, TimeSpan.FromSeconds(10)), "the second burst was never followed by a collection");
        // Measured by the reclaimer's own clock, so a test thread held up by the GC cannot skew it.
        long gap = reclaimer.LastRunMilliseconds - first;
        Assert.True(gap >= interval.TotalMilliseconds - 50, $"second collection {gap} ms after the first");
        Thread.Sleep(interval);
        Assert.Equal(2, reclaimer.Runs);
    }
}

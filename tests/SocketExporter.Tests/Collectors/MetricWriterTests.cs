using SocketExporter.Collectors;
using SocketExporter.Linux.Snapshot;
using SocketExporter.Tests.Infrastructure;

namespace SocketExporter.Tests.Collectors;

[Trait("Category", "Unit")]
public sealed class MetricWriterTests
{
    [Fact]
    public void UnixPathSeries_PastTheirLimit_FoldAlone_AndGeneralSeriesStayExact()
    {
        var budget = new SeriesBudget(limit: 10, unixPathLimit: 5);
        MetricSet m = SnapshotBuilding.Run(writer =>
        {
            BudgetedGauge listening = writer.Gauge("socket_listening", "h", ["address", "port"]);
            BudgetedGauge unix = listening.ForUnixPaths();
            for (int i = 0; i < 4; i++) listening.Add(1, "127.0.0.1", $"{i}");
            for (int i = 0; i < 20; i++) unix.Add(1, $"@flood-{i}", "");   // a flood written before the series that matter
            for (int i = 4; i < 10; i++) listening.Add(1, "127.0.0.1", $"{i}");
        }, budget);

        List<Sample> series = m.Named("socket_listening").ToList();
        Assert.Equal(10, series.Count(s => s["address"] == "127.0.0.1"));   // every general series, none folded
        Assert.Equal(5, series.Count(s => s["address"].StartsWith("@flood-")));
        Assert.Equal(15, Assert.Single(series, s => s["address"] == MetricWriter.OverflowValue).Value);
        Assert.Equal((10, 5, 15), (budget.Used, budget.UnixPathUsed, budget.Dropped));
        Assert.Equal(new Dictionary<(string, SeriesPool), int> { [("socket_listening", SeriesPool.UnixPath)] = 15 }, budget.Overflow);
    }

    [Fact]
    public void GeneralSeries_PastTheLimit_CountedPerMetric()
    {
        var budget = new SeriesBudget(limit: 3, unixPathLimit: 100);
        SnapshotBuilding.Run(writer =>
        {
            BudgetedGauge a = writer.Gauge("socket_a", "h", ["port"]), b = writer.Gauge("socket_b", "h", ["port"]);
            for (int i = 0; i < 2; i++) a.Add(1, $"{i}");
            for (int i = 0; i < 5; i++) b.Add(1, $"{i}");
            a.Add(1, "9");
        }, budget);

        Assert.Equal(new Dictionary<(string, SeriesPool), int> { [("socket_b", SeriesPool.General)] = 4, [("socket_a", SeriesPool.General)] = 1 },
            budget.Overflow);
        Assert.Equal(5, budget.Dropped);
    }

    [Fact]
    public void DroppedPid_SumGaugeAddsUp_MinGaugeKeepsTheSmallest()
    {
        MetricSet m = SnapshotBuilding.Run(writer =>
        {
            BudgetedGauge fds = writer.Gauge("socket_process_fds", "h", ["pid", "program"]);
            BudgetedGauge limit = writer.Gauge("socket_process_fd_limit", "h", ["pid", "program"], SeriesAggregation.Min);
            foreach ((string pid, double l) in new[] { ("1", 20000.0), ("2", 20000), ("3", 4096), ("4", double.PositiveInfinity) })
            {
                fds.Add(10, pid, "worker");
                limit.Add(l, pid, "worker");
            }
        }, null, "pid");

        Assert.Equal(40, Assert.Single(m.Named("socket_process_fds")).Value);
        Sample limit = Assert.Single(m.Named("socket_process_fd_limit"));
        Assert.Equal(("worker", 4096.0), (limit["program"], limit.Value));
        Assert.False(limit.Labels.ContainsKey("pid"));
    }

    [Fact]
    public void DroppedPid_SeriesFoldedTwice_CountedOnce()
    {
        var budget = new SeriesBudget(limit: 1);
        SnapshotBuilding.Run(writer =>
        {
            BudgetedGauge fds = writer.Gauge("socket_process_fds", "h", ["pid", "program"]);
            fds.Add(1, "1", "a");
            fds.Add(1, "2", "b");
            fds.Add(1, "3", "b");   // the same series as pid 2's once pid is dropped
        }, budget, "pid");

        Assert.Equal(1, budget.Dropped);
    }
}

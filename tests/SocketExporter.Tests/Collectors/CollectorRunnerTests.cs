using Microsoft.Extensions.Logging.Abstractions;
using Prometheus;
using SocketExporter.Collectors;
using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Tests.Collectors;

/// <summary>How the runner orders collectors: a preparation (ISnapshotCollector.PreparesBeside) runs at the same time as
/// the collectors before it, while every Update still comes in the configured order.</summary>
[Trait("Category", "Unit")]
public sealed class CollectorRunnerTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    // Writes one gauge; its Update can wait for a signal that only another collector's preparation gives.
    private sealed class Recording(string name, List<string> log, Func<bool>? duringUpdate = null, bool prepares = false,
        Action? prepare = null) : ISnapshotCollector
    {
        public string Name => name;
        public SnapshotParts Reads => SnapshotParts.Sockets;
        public bool PreparesBeside => prepares;
        public bool? UpdateSawIt { get; private set; }

        public void Prepare(ScrapeSnapshot snapshot)
        {
            prepare?.Invoke();
            lock (log) log.Add($"{name}.prepare");
        }

        public void Update(ScrapeSnapshot snapshot, MetricWriter metrics)
        {
            UpdateSawIt = duringUpdate?.Invoke();
            lock (log) log.Add($"{name}.update");
            metrics.Gauge($"test_{name}", "a test family", ["x"]).Add(1, "1");
        }
    }

    [Fact]
    public void Run_PreparationRunsDuringAnEarlierUpdate_UpdatesKeepTheirOrder()
    {
        var log = new List<string>();
        using var firstStarted = new ManualResetEventSlim();
        using var prepared = new ManualResetEventSlim();
        // The first collector's Update waits for the second's preparation: run one after the other, it would wait in vain.
        var first = new Recording("first", log, () => { firstStarted.Set(); return prepared.Wait(Patience); });
        var second = new Recording("second", log, prepares: true, prepare: () =>
        {
            firstStarted.Wait(Patience);
            prepared.Set();
        });

        string text = RunAll(first, second, out int succeeded);

        Assert.True(first.UpdateSawIt, "the preparation did not run while the first collector's Update ran");
        Assert.Equal(2, succeeded);
        Assert.Equal(["second.prepare", "first.update", "second.update"], log);
        Assert.True(text.IndexOf("test_first", StringComparison.Ordinal) < text.IndexOf("test_second", StringComparison.Ordinal),
            "the exposition's order must follow the collectors' order");
    }

    [Fact]
    public void Run_PreparationThrows_TheCollectorFailsWithoutItsUpdate_OthersSucceed()
    {
        var log = new List<string>();
        var first = new Recording("first", log);
        var broken = new Recording("broken", log, prepares: true, prepare: () => throw new InvalidOperationException("boom"));

        string text = RunAll(first, broken, out int succeeded);

        Assert.Equal(1, succeeded);
        Assert.DoesNotContain("broken.update", log);
        Assert.Contains("socket_exporter_collector_success{collector=\"broken\"} 0", text);
        Assert.Contains("socket_exporter_collector_success{collector=\"first\"} 1", text);
    }

    private static string RunAll(ISnapshotCollector a, ISnapshotCollector b, out int succeeded)
    {
        ScrapeSnapshot snapshot = new SnapshotBuilding().Build();
        CollectorRegistry registry = Metrics.NewCustomRegistry();
        IMetricFactory factory = Metrics.WithCustomRegistry(registry);
        var runner = new CollectorRunner([a, b], NullLogger.Instance);
        succeeded = runner.Run(snapshot, new MetricWriter(factory, new SeriesBudget(100), new HashSet<string>()), factory);
        using var stream = new MemoryStream();
        registry.CollectAndExportAsTextAsync(stream).GetAwaiter().GetResult();
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }
}

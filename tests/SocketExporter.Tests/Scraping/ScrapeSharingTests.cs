using Microsoft.Extensions.Logging.Abstractions;
using SocketExporter.Collectors;
using SocketExporter.Linux.Snapshot;
using SocketExporter.Scraping;
using SocketExporter.Tests.Infrastructure;
using SocketExporter.Linux.Reading;

namespace SocketExporter.Tests.Scraping;

/// <summary>
/// Requests that share a collection never make it worse for each other: a request with a tiny scrape timeout cannot
/// cut the others' reading short, and requests with a collect[] selection share the collection in flight. On this
/// host's real /proc and sockets.
/// </summary>
[Trait("Category", "Unit")]
public sealed class ScrapeSharingTests : IDisposable
{
    private readonly SnapshotBuilder _builder = new(new SnapshotOptions());
    private readonly ScrapeCoordinator _coordinator;

    public ScrapeSharingTests()
    {
        var runner = new CollectorRunner(CollectorList.All(DeviceFilter.Default), NullLogger.Instance);
        _coordinator = new ScrapeCoordinator(_builder, runner, new BuildInfo("test", "test"), new MetricOptions(),
            NullLogger<ScrapeCoordinator>.Instance);
    }

    private static async Task<MetricSet> MetricsOf(Task<ScrapeResult> collection)
    {
        ScrapeResult result = await collection;
        Assert.True(result.Registry is not null, result.Failure);
        using var text = new MemoryStream();
        await result.Registry.CollectAndExportAsTextAsync(text);
        return MetricSet.Parse(System.Text.Encoding.UTF8.GetString(text.ToArray()));
    }

    private static void AssertWhole(MetricSet metrics)
    {
        Assert.Equal(2, metrics.Named("socket_exporter_deadline_skipped").Count());
        Assert.All(metrics.Named("socket_exporter_deadline_skipped"), s => Assert.Equal(0, s.Value));
        Assert.Equal(SocketExporter.Collectors.CollectorList.All(SocketExporter.Collectors.DeviceFilter.Default).Count, metrics.Named("socket_exporter_collector_success").Count());
        Assert.All(metrics.Named("socket_exporter_collector_success"), s => Assert.Equal(1, s.Value));
    }

    [Fact]
    public async Task JoiningWithAZeroTimeout_DoesNotCutTheCollectionInFlightShort()
    {
        Task<ScrapeResult> prometheus = _coordinator.CollectAsync(budget: TimeSpan.FromSeconds(30));
        Task<ScrapeResult> hostile = _coordinator.CollectAsync(budget: TimeSpan.Zero);   // joins the collection in flight

        AssertWhole(await MetricsOf(prometheus));
        Assert.Null((await prometheus).Partial);
        await hostile;   // whatever it got, it got it without harm to the other
    }

    [Fact]
    public async Task ACollectionStartedWithAZeroTimeout_IsNotWhatALaterScrapeGets()
    {
        Task<ScrapeResult> hostile = _coordinator.CollectAsync(budget: TimeSpan.Zero);
        Task<ScrapeResult> prometheus = _coordinator.CollectAsync(budget: TimeSpan.FromSeconds(30));

        AssertWhole(await MetricsOf(prometheus));
        Assert.Null((await prometheus).Partial);
        // The later request did not lend its time to the hostile one's collection either: that one stayed cut short.
        Assert.NotNull((await hostile).Partial);
        Assert.NotSame((await hostile).Registry, (await prometheus).Registry);
    }

    [Fact]
    public async Task RequestsWithAmpleTime_ShareOneWholeCollection()
    {
        Task<ScrapeResult> first = _coordinator.CollectAsync(budget: TimeSpan.FromSeconds(30));
        Task<ScrapeResult> second = _coordinator.CollectAsync(budget: TimeSpan.FromSeconds(40));   // allows more: still joins

        AssertWhole(await MetricsOf(first));
        Assert.Same((await first).Registry, (await second).Registry);
    }

    [Fact]
    public async Task ManyFilteredRequests_ShareTheCollectionInFlight_EachGetsItsSelection()
    {
        Task<ScrapeResult> everything = _coordinator.CollectAsync(budget: TimeSpan.FromSeconds(30));
        Task<ScrapeResult>[] listening = Enumerable.Range(0, 60)
            .Select(_ => _coordinator.CollectAsync(new HashSet<string> { "listening" }, TimeSpan.FromSeconds(30))).ToArray();
        Task<ScrapeResult> fds = _coordinator.CollectAsync(new HashSet<string> { "fds" }, TimeSpan.FromSeconds(30));

        AssertWhole(await MetricsOf(everything));
        // One answer per selection: the 60 requests for the same selection share one registry.
        Assert.Single((await Task.WhenAll(listening)).Select(r => r.Registry).Distinct());
        MetricSet onlyListening = await MetricsOf(listening[0]);
        Assert.Equal("listening", Assert.Single(onlyListening.Named("socket_exporter_collector_success"))["collector"]);
        Assert.NotEmpty(onlyListening.Named("socket_listening"));
        MetricSet onlyFds = await MetricsOf(fds);
        Assert.Equal("fds", Assert.Single(onlyFds.Named("socket_exporter_collector_success"))["collector"]);
        Assert.Empty(onlyFds.Named("socket_listening"));
    }

    public void Dispose() => _builder.Dispose();
}

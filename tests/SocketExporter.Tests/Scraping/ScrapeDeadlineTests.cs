using Microsoft.Extensions.Logging.Abstractions;
using Prometheus;
using SocketExporter.Collectors;
using SocketExporter.Linux.Snapshot;
using SocketExporter.Scraping;
using SocketExporter.Tests.Infrastructure;
using SocketExporter.Linux.Reading;

namespace SocketExporter.Tests.Scraping;

/// <summary>
/// A collection whose reading passes its deadline answers with what it read, marks the collectors that read the
/// unfinished part as failed, and says what was skipped — on this host's real /proc and sockets.
/// </summary>
public sealed class ScrapeDeadlineTests : IDisposable
{
    private readonly SnapshotBuilder _builder = new(new SnapshotOptions());
    private readonly ScrapeCoordinator _coordinator;

    public ScrapeDeadlineTests()
    {
        var runner = new CollectorRunner(CollectorList.All(DeviceFilter.Default), NullLogger.Instance);
        _coordinator = new ScrapeCoordinator(_builder, runner, new BuildInfo("test", "test"), new MetricOptions(),
            NullLogger<ScrapeCoordinator>.Instance);
    }

    private string? _partial;

    private async Task<MetricSet> CollectAsync(TimeSpan budget)
    {
        ScrapeResult result = await _coordinator.CollectAsync(budget: budget);
        Assert.True(result.Registry is not null, result.Failure);
        _partial = result.Partial;   // what the landing page shows
        using var text = new MemoryStream();
        await result.Registry.CollectAndExportAsTextAsync(text);
        return MetricSet.Parse(System.Text.Encoding.UTF8.GetString(text.ToArray()));
    }

    private static Dictionary<string, double> Success(MetricSet metrics) =>
        metrics.Named("socket_exporter_collector_success").ToDictionary(s => s["collector"], s => s.Value);

    [Fact, Trait("Category", "Unit")]
    public async Task ReadingPastTheDeadline_AnswersPartial_CollectorsFailed_SkippedCounted()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        string port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port.ToString();
        MetricSet metrics = await CollectAsync(TimeSpan.Zero);   // the deadline has passed before the first process

        double skipped = Assert.Single(metrics.Named("socket_exporter_deadline_skipped"), s => s["part"] == "processes").Value;
        Assert.True(skipped > 0, "no process was skipped");
        Dictionary<string, double> success = Success(metrics);
        Assert.Equal(CollectorList.All(DeviceFilter.Default).Count, success.Count);
        Assert.All(success, c => Assert.Equal(0, c.Value));   // every collector reads the process walk
        // The socket tables were read: listeners are still served, without the owners that were not walked.
        Assert.Contains(metrics.Named("socket_listening"), s => s["port"] == port && s["pid"] == "");
        Assert.DoesNotContain(metrics.Named("socket_listening"), s => s["pid"] != "");
        // Sockets of unwalked processes are not "unattributed": that count is absent, not a false number.
        Assert.Empty(metrics.Named("socket_exporter_unattributed_sockets"));
        Assert.Contains("processes not read", _partial);
    }

    [Fact]
    public async Task NamespacesNotReadByTheDeadline_AreSkippedAndSaidSo_TheHostsAreRead()
    {
        string name = $"se-deadline-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..6]}";
        ToolRunner.Run("ip", "netns", "add", name);
        try
        {
            ToolRunner.Run("ip", "-n", name, "link", "set", "lo", "up");
            using HolderProcess inside = HolderProcess.StartWith(["ip", "netns", "exec", name], "netns", "0");
            string netns = ToolRunner.Run("stat", "-L", "-c", "%i", $"/run/netns/{name}").Trim();

            MetricSet metrics = await CollectAsync(TimeSpan.Zero);
            Assert.True(Assert.Single(metrics.Named("socket_exporter_deadline_skipped"), s => s["part"] == "namespaces").Value >= 1);
            Assert.Equal("skipped", Assert.Single(metrics.Named("socket_exporter_netns_read"), s => s["netns"] == netns)["method"]);
            Assert.Equal("netlink", Assert.Single(metrics.Named("socket_exporter_netns_read"), s => s["netns"] == "host")["method"]);
            Assert.DoesNotContain(metrics.Named("socket_listening"), s => s["netns"] == netns);

            MetricSet full = await CollectAsync(TimeSpan.FromSeconds(30));   // and with time, the namespace is read
            Assert.Contains(full.Named("socket_listening"), s => s["netns"] == netns && s["pid"] == inside.Pid.ToString());
        }
        finally
        {
            ToolRunner.Run("ip", "netns", "delete", name);
        }
    }

    [Fact, Trait("Category", "Unit")]
    public async Task ReadingWithinTheDeadline_EveryCollectorSucceeds_NothingSkipped()
    {
        MetricSet metrics = await CollectAsync(TimeSpan.FromSeconds(30));

        Assert.All(metrics.Named("socket_exporter_deadline_skipped"), s => Assert.Equal(0, s.Value));
        Assert.Equal(2, metrics.Named("socket_exporter_deadline_skipped").Count());
        Assert.All(Success(metrics), c => Assert.Equal(1, c.Value));
        Assert.Contains(metrics.Named("socket_listening"), s => s["pid"] != "");
        Assert.Null(_partial);
    }

    public void Dispose() => _builder.Dispose();
}

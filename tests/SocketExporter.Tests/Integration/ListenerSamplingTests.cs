using SocketExporter.Tests.Infrastructure;

namespace SocketExporter.Tests.Integration;

/// <summary>
/// The listener sampler (issue 12) with real listeners that change between two scrapes: an accept queue that fills
/// and drains, and a listener that opens and closes, neither visible at either scrape. Every assertion is on a port
/// the test's helper opened, as a difference between two scrapes.
/// </summary>
[Trait("Category", "Integration")]
public sealed class ListenerSamplingTests
{
    private static Sample Single(MetricSet m, string name, string port) =>
        Assert.Single(m.Named(name), s => s["port"] == port && s["protocol"] == "tcp" && s["netns"] == "host");

    private static double Value(MetricSet m, string name, string port, string program) =>
        m.Named(name).Where(s => s["port"] == port && s["program"] == program && s["netns"] == "host").Sum(s => s.Value);

    /// <summary>The burst both queue tests make, in the exporter's namespace or another: the holder's listener
    /// (backlog 8) holds 6 connections unaccepted for 2 s (8 samples at 250 ms), then accepts them all, between two
    /// scrapes. The second scrape must read peak 6 and length 0 for it under <paramref name="netns"/>; returned for more.</summary>
    internal static MetricSet BurstBetweenScrapes(ExporterProcess exporter, HolderProcess holder, string netns)
    {
        string port = holder.Int("port").ToString();
        Sample Of(MetricSet m, string name) =>
            Assert.Single(m.Named(name), s => s["port"] == port && s["protocol"] == "tcp" && s["netns"] == netns);
        Assert.Equal(0, Of(exporter.ScrapeMetrics(), "socket_listen_queue_peak").Value);

        Assert.Equal(6, holder.Send("burst 6 2").GetProperty("accepted").GetInt32());
        MetricSet second = exporter.ScrapeMetrics();

        Assert.Equal(0, Of(second, "socket_listen_queue_length").Value);
        Sample peak = Of(second, "socket_listen_queue_peak");
        Assert.Equal(6, peak.Value);   // the sampler saw them waiting, all 6 (backlog 8 holds them)
        Assert.Equal(("python3", "ipv4", "127.0.0.1"), (peak["program"], peak["family"], peak["address"]));
        return second;
    }

    [Fact]
    public void QueueFilledAndDrainedBetweenScrapes_PeakShowsIt_LengthDoesNot()
    {
        using ExporterProcess exporter = ExporterProcess.Start(["--listen.sample-interval=250ms"]);
        using HolderProcess holder = HolderProcess.StartScript("listener_burst.py", [], "listen");
        BurstBetweenScrapes(exporter, holder, "host");

        // Taking the peak reset it: the scrape after reads the queue as it is since.
        Assert.Equal(0, Single(exporter.ScrapeMetrics(), "socket_listen_queue_peak", holder.Int("port").ToString()).Value);
    }

    [Fact]
    public void SamplerOff_PeakIsTheScrapesOwnReading()
    {
        using ExporterProcess exporter = ExporterProcess.Start(["--listen.sample-interval=0"]);
        using HolderProcess holder = HolderProcess.StartScript("listener_burst.py", [], "listen");
        string port = holder.Int("port").ToString();
        exporter.ScrapeMetrics();
        holder.Send("burst 6 1");
        MetricSet second = exporter.ScrapeMetrics();
        Assert.Equal(0, Single(second, "socket_listen_queue_peak", port).Value);
        Assert.Equal(0, second.Named("socket_exporter_listener_sampling_seconds_total").Single().Value);
    }

    [Fact]
    public void ListenerOpenedAndClosedBetweenScrapes_CountedOnceEach_WithoutProgram()
    {
        using ExporterProcess exporter = ExporterProcess.Start(["--listen.sample-interval=250ms"]);
        using HolderProcess holder = HolderProcess.StartScript("listener_burst.py", [], "listen");
        exporter.ScrapeMetrics();
        string port = holder.Send("flash 2").GetProperty("port").GetInt32().ToString();
        MetricSet second = exporter.ScrapeMetrics();

        // No scrape's walk saw it: no program. It is no pid's either (no pid label at all).
        Assert.Equal(1, Single(second, "socket_listeners_opened_total", port).Value);
        Assert.Equal(1, Single(second, "socket_listeners_closed_total", port).Value);
        Assert.Equal("", Single(second, "socket_listeners_opened_total", port)["program"]);
        Assert.DoesNotContain(second.Named("socket_listeners_opened_total"), s => s.Labels.ContainsKey("pid"));
        Assert.DoesNotContain(second.Named("socket_listen_queue_peak"), s => s["port"] == port);   // gone at the scrape
    }

    [Fact]
    public void ListenerSeenByAScrape_OpenedAndClosedUnderItsProgram()
    {
        using ExporterProcess exporter = ExporterProcess.Start(["--listen.sample-interval=250ms"]);
        using HolderProcess holder = HolderProcess.StartScript("listener_burst.py", [], "listen");
        exporter.ScrapeMetrics();
        string port = holder.Send("open").GetProperty("port").GetInt32().ToString();
        MetricSet seen = exporter.ScrapeMetrics();
        holder.Send($"close {port}");
        Thread.Sleep(1000);   // 4 samples: the sampler has seen it go
        MetricSet after = exporter.ScrapeMetrics();

        Assert.Equal(1, Value(seen, "socket_listeners_opened_total", port, "python3"));
        Assert.Equal(0, Value(seen, "socket_listeners_closed_total", port, "python3"));
        Assert.Equal(1, Value(after, "socket_listeners_opened_total", port, "python3"));
        Assert.Equal(1, Value(after, "socket_listeners_closed_total", port, "python3"));
        Assert.Equal(0, Value(after, "socket_listeners_opened_total", port, "") + Value(after, "socket_listeners_closed_total", port, ""));
    }
}

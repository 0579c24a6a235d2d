using SocketExporter.Tests.Infrastructure;

namespace SocketExporter.Tests.Integration;

/// <summary>
/// The listener sampler in a network namespace the test makes (ip netns add, a unique name): with CAP_SYS_ADMIN it
/// enters the namespace between scrapes, so an accept queue that fills and drains there, and a listener that opens and
/// closes there, show at the next scrape under that namespace's netns label; without CAP_SYS_ADMIN only the exporter's
/// own namespace is sampled, and socket_exporter_listener_sampled says why the test's is not. Assertions are on the
/// test's own namespace and ports only.
/// </summary>
[Trait("Category", "Integration")]
public sealed class ListenerSamplingNamespaceTests : IDisposable
{
    private readonly string _name = $"se-sampler-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..6]}";
    private readonly string _netns;

    public ListenerSamplingNamespaceTests()
    {
        ToolRunner.Run("ip", "netns", "add", _name);
        ToolRunner.Run("ip", "-n", _name, "link", "set", "lo", "up");
        _netns = ToolRunner.Run("stat", "-L", "-c", "%i", $"/run/netns/{_name}").Trim();
    }

    public void Dispose() => ToolRunner.Run("ip", "netns", "delete", _name);

    private HolderProcess StartInside() => HolderProcess.StartScript("listener_burst.py", ["ip", "netns", "exec", _name], "listen");

    private static readonly IReadOnlyList<string> WithoutSysAdmin =
        ["setpriv", "--bounding-set=-sys_admin", "--inh-caps=-sys_admin", "dotnet", RepoPaths.ExporterDll];

    private Sample Single(MetricSet m, string name, string port) =>
        Assert.Single(m.Named(name), s => s["port"] == port && s["protocol"] == "tcp" && s["netns"] == _netns);

    private static double Sampled(MetricSet m, string netns, string reason) =>
        Assert.Single(m.Named("socket_exporter_listener_sampled"), s => s["netns"] == netns && s["reason"] == reason).Value;

    [Fact]
    public void QueueFilledAndDrainedInsideANamespace_PeakShowsItUnderThatNetns()
    {
        using HolderProcess holder = StartInside();
        using ExporterProcess exporter = ExporterProcess.Start(["--listen.sample-interval=250ms"]);
        // Seen waiting by a look inside the namespace, under its netns label.
        MetricSet second = ListenerSamplingTests.BurstBetweenScrapes(exporter, holder, _netns);
        string port = holder.Int("port").ToString();
        Assert.Equal(8, Single(second, "socket_listen_queue_limit", port).Value);
        Assert.Equal(1, Sampled(second, _netns, ""));
        Assert.Equal(1, Sampled(second, "host", ""));
    }

    [Fact]
    public void ListenerOpenedAndClosedInsideANamespace_CountedOnceEachUnderThatNetns()
    {
        using HolderProcess holder = StartInside();
        using ExporterProcess exporter = ExporterProcess.Start(["--listen.sample-interval=250ms"]);
        exporter.ScrapeMetrics();
        string port = holder.Send("flash 2").GetProperty("port").GetInt32().ToString();
        MetricSet second = exporter.ScrapeMetrics();

        Sample opened = Single(second, "socket_listeners_opened_total", port);
        Sample closed = Single(second, "socket_listeners_closed_total", port);
        Assert.Equal((1.0, 1.0), (opened.Value, closed.Value));
        Assert.Equal("", opened["program"]);   // no scrape's walk saw it
        // The same port in the host namespace moved by nothing (the test opened nothing there).
        Assert.DoesNotContain(second.Named("socket_listeners_opened_total"), s => s["port"] == port && s["netns"] == "host");

        // And nothing more at the scrape after: each change counted once.
        MetricSet third = exporter.ScrapeMetrics();
        Assert.Equal((1.0, 1.0), (Single(third, "socket_listeners_opened_total", port).Value, Single(third, "socket_listeners_closed_total", port).Value));
    }

    [Fact]
    public void WithoutSysAdmin_OnlyTheOwnNamespaceIsSampled_AndTheSelfMetricSaysWhy()
    {
        using HolderProcess holder = StartInside();
        using HolderProcess hostHolder = HolderProcess.StartScript("listener_burst.py", [], "listen");
        using ExporterProcess exporter = ExporterProcess.Start(["--listen.sample-interval=250ms"], command: WithoutSysAdmin);
        exporter.ScrapeMetrics();
        string inside = holder.Send("flash 2").GetProperty("port").GetInt32().ToString();
        string onHost = hostHolder.Send("flash 2").GetProperty("port").GetInt32().ToString();
        MetricSet second = exporter.ScrapeMetrics();

        Assert.Equal(0, Sampled(second, _netns, "setns_denied"));
        Assert.Equal(1, Sampled(second, "host", ""));
        // The host's flash was seen by the sampler; the namespace's lived only between scrapes there, unseen.
        Assert.Equal(1, Assert.Single(second.Named("socket_listeners_opened_total"), s => s["port"] == onHost && s["netns"] == "host").Value);
        Assert.DoesNotContain(second.Named("socket_listeners_opened_total"), s => s["port"] == inside && s["netns"] == _netns);
        // The namespace is still read by the scrapes (through /proc/PID/net): its listener is there.
        Assert.Single(second.Named("socket_listening"), s => s["port"] == holder.Int("port").ToString() && s["netns"] == _netns);
    }
}

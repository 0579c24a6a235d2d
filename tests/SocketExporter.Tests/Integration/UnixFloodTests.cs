using SocketExporter.Tests.Infrastructure;

namespace SocketExporter.Tests.Integration;

/// <summary>
/// An unprivileged user makes thousands of abstract unix listeners (no file, no permission needed). Their series
/// draw from the unix-path limit only: the series that matter — here the test's own TCP listener and connection —
/// stay exact, and what was folded is counted per metric.
/// </summary>
[Trait("Category", "Integration")]
public sealed class UnixFloodTests
{
    private const int Listeners = 2000, UnixLimit = 500;
    private static readonly HashSet<string> Unbudgeted = ["socket_listen_overflows_total", "socket_listen_drops_total"];

    [Fact]
    public void AbstractUnixListenersOfNobody_FoldOnlyUnixSeries_TcpSeriesStayExact()
    {
        using HolderProcess tcp = HolderProcess.StartScript("listen_holder.py", [], "tcp_pair");
        string port = tcp.Int("port").ToString(), pid = tcp.Pid.ToString();

        // The general limit is set just above what this host exports without the flood, so that the flood's ~6,000
        // unix series would fill it if they counted against it.
        int before;
        using (ExporterProcess reference = ExporterProcess.Start())
            before = reference.ScrapeMetrics().Samples.Count(s => s.Name.StartsWith("socket_") && !s.Name.StartsWith("socket_exporter_") && !Unbudgeted.Contains(s.Name));
        int limit = before + 1000;

        using HolderProcess flood = HolderProcess.StartScript("listen_holder.py",
            ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"], "unix_flood", Listeners.ToString());
        Assert.Equal((65534, Listeners), (flood.Int("uid"), flood.Int("listeners")));
        using ExporterProcess exporter = ExporterProcess.Start([$"--metrics.max-series={limit}", $"--metrics.max-unix-series={UnixLimit}"]);
        MetricSet metrics = exporter.ScrapeMetrics();

        // The flood is folded and counted: its listeners beyond the unix limit, per metric.
        double Overflow(string metric) =>
            metrics.Named("socket_exporter_series_overflow").Where(s => s["metric"] == metric && s["limit"] == "max_unix_series").Sum(s => s.Value);
        Assert.True(Overflow("socket_listening") >= Listeners - UnixLimit, $"socket_listening unix overflow {Overflow("socket_listening")}");
        Assert.True(Overflow("socket_listen_queue_length") > 0);
        foreach (string metric in new[] { "socket_listening", "socket_listen_queue_length", "socket_listen_queue_limit" })
        {
            int unixSeries = metrics.Named(metric).Count(s => s["family"] == "unix");
            Assert.True(unixSeries <= UnixLimit, $"{unixSeries} unix series of {metric} over the limit of {UnixLimit}");
        }
        Assert.True(Assert.Single(metrics.Named("socket_exporter_series_dropped")).Value >= Listeners - UnixLimit);

        // The test's own TCP series are exact, compared with ss.
        string[] f = Assert.Single(ToolRunner.Run("ss", "-ltnH", $"sport = :{port}").Split('\n', StringSplitOptions.RemoveEmptyEntries))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(1, Assert.Single(metrics.Named("socket_listening"), s => s["port"] == port && s["pid"] == pid).Value);
        Assert.Equal(double.Parse(f[1]), Assert.Single(metrics.Named("socket_listen_queue_length"), s => s["port"] == port && s["netns"] == "host").Value);
        Assert.Equal(double.Parse(f[2]), Assert.Single(metrics.Named("socket_listen_queue_limit"), s => s["port"] == port && s["netns"] == "host").Value);
        foreach (string direction in new[] { "inbound", "outbound" })
            Assert.Equal(1, Assert.Single(metrics.Named("socket_connections"), s => s["port"] == port && s["pid"] == pid
                && s["direction"] == direction && s["state"] == "established").Value);

        // And a root service's unix listener among the flood: its series are written before the flooding uid's.
        string name = "@" + tcp.Info.GetProperty("unix_name").GetString();
        string[] x = Assert.Single(ToolRunner.Run("ss", "-xlH", $"src {name}").Split('\n', StringSplitOptions.RemoveEmptyEntries))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(1, Assert.Single(metrics.Named("socket_listening"), s => s["address"] == name && s["pid"] == pid).Value);
        Assert.Equal(double.Parse(x[2]), Assert.Single(metrics.Named("socket_listen_queue_length"), s => s["address"] == name).Value);
        Assert.Equal(double.Parse(x[3]), Assert.Single(metrics.Named("socket_listen_queue_limit"), s => s["address"] == name).Value);
    }
}

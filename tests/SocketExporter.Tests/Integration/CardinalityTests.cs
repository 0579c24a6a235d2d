using System.Diagnostics;
using SocketExporter.Tests.Infrastructure;

namespace SocketExporter.Tests.Integration;

/// <summary>2,000 short-lived client processes over a minute: the series per scrape stay within the limit and the overflow is counted.</summary>
[Trait("Category", "Integration")]
public sealed class CardinalityTests
{
    // Low enough that ~33 concurrent clients (each a handful of series) pass it on any host, however quiet.
    private const int Limit = 100;
    // Series named by a unix socket path (the host's own unix listeners and connections) have a limit of their own.
    private const int UnixLimit = 100;
    private static readonly HashSet<string> PerNamespaceCounters = ["socket_listen_overflows_total", "socket_listen_drops_total"];
    // The between-scrapes counters live across scrapes and have a bound of their own (a counter folded into "overflow"
    // one scrape and back the next would go backwards): label sets, here set low, since every connection closed on this
    // shared host during the test makes one.
    private const int EventLabelSets = 20;
    private static readonly HashSet<string> EventCounters = ["socket_connections_closed_total", "socket_connect_failures_total"];

    [Fact]
    public void ChurningClientProcesses_SeriesStayWithinLimit_OverflowCounted()
    {
        using HolderProcess server = HolderProcess.Start("server");
        int port = server.Int("port");
        using ExporterProcess exporter = ExporterProcess.Start([$"--metrics.max-series={Limit}", $"--metrics.max-unix-series={UnixLimit}",
            $"--metrics.max-event-label-sets={EventLabelSets}"]);

        // 2,000 bash clients, ~33 a second, each holding a connection for a second.
        var churn = new ProcessStartInfo("bash");
        churn.ArgumentList.Add("-c");
        churn.ArgumentList.Add($"for i in $(seq 2000); do (exec 3<>/dev/tcp/127.0.0.1/{port}; sleep 1) & sleep 0.03; done; wait");
        using Process clients = Process.Start(churn)!;
        try
        {
            Churn(exporter, clients);
        }
        finally
        {
            // A failed assertion must not leave 2,000 clients churning into the tests that run next.
            if (!clients.HasExited)
                clients.Kill(entireProcessTree: true);
        }
    }

    private static void Churn(ExporterProcess exporter, Process clients)
    {
        int scrapes = 0;
        double maxDropped = 0;
        var clock = Stopwatch.StartNew();
        while (!clients.HasExited && clock.Elapsed < TimeSpan.FromMinutes(5))
        {
            MetricSet metrics = exporter.ScrapeMetrics();
            // The exporter's own metrics and the two per-namespace counters are bounded by design, outside the budget.
            var budgeted = metrics.Samples.Where(s => s.Name.StartsWith("socket_") && !s.Name.StartsWith("socket_exporter_")
                && !PerNamespaceCounters.Contains(s.Name) && !s.Name.StartsWith("socket_connections_closed_")
                && !s.Name.StartsWith("socket_connect_failures_")).ToList();
            int eventLabelSets = metrics.Samples.Count(s => EventCounters.Contains(s.Name) && s["program"] != "overflow");
            Assert.True(eventLabelSets <= EventLabelSets, $"{eventLabelSets} between-scrapes label sets over the limit of {EventLabelSets}");
            int namespaces = metrics.Named("socket_exporter_netns_read").Count();
            Assert.True(metrics.Samples.Count(s => PerNamespaceCounters.Contains(s.Name)) <= 2 * namespaces);
            int families = budgeted.Select(s => s.Name).Distinct().Count();
            int overflow = budgeted.Count(s => s.Labels.Count > 0 && s.Labels.Values.All(v => v == "overflow"));
            var unixByMetric = budgeted.Where(s => s["netns"] != "overflow"
                && (s.Name == "socket_unix_connections" || (s.Name.StartsWith("socket_listen") && s["family"] == "unix"))).GroupBy(s => s.Name).ToList();
            Assert.All(unixByMetric, g => Assert.True(g.Count() <= UnixLimit, $"{g.Count()} unix path series of {g.Key} over the limit of {UnixLimit}"));
            int unix = unixByMetric.Sum(g => g.Count());
            Assert.True(budgeted.Count - overflow - unix <= Limit, $"{budgeted.Count - overflow - unix} series over the limit of {Limit}");
            Assert.True(overflow <= families);
            double dropped = Assert.Single(metrics.Named("socket_exporter_series_dropped")).Value;
            Assert.Equal(dropped > 0, overflow > 0);
            maxDropped = Math.Max(maxDropped, dropped);
            scrapes++;
            Thread.Sleep(1000);
        }
        Assert.True(clients.HasExited, "the client churn did not finish");
        Assert.True(scrapes >= 30, $"only {scrapes} scrapes during the churn");
        Assert.True(maxDropped > 0, "the limit was never reached: the test proves nothing");
        Assert.True(clock.Elapsed > TimeSpan.FromSeconds(55), $"churn lasted only {clock.Elapsed}");
    }
}

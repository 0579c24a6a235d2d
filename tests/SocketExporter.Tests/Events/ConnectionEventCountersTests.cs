using SocketExporter.Events;
using SocketExporter.Linux.Events;
using SocketExporter.Linux.Snapshot;
using SocketExporter.Tests.Collectors;

namespace SocketExporter.Tests.Events;

public sealed class ConnectionEventCountersTests
{
    // 1000 payload bytes out, 300 back (+ FIN), 2 retransmits, 250 µs RTT.
    private static readonly TcpDestroyEvent Closed = new(SocketFamily.Ipv4, default, 40000, default, 80, 1,
        new TcpFinalInfo(280, 250, 2, 1_002, 301, 1, 3, 1_000, 0));

    private static ConnectionEventKey Key(string port, string program = "app") => new("host", false, port, program);

    [Fact]
    public void Count_ClosedConnection_AddsPayloadRetransmitsAndRtt()
    {
        var counters = new ConnectionEventCounters();
        counters.Count(Key("80"), Closed);
        counters.Count(Key("80"), Closed);
        ConnectionEventTotals t = Assert.Single(counters.ExpireAndCopy()).Value;
        Assert.Equal((2L, 600L, 2_000L, 4L, 2L), (t.Closed, t.ReceivedBytes, t.SentBytes, t.RetransmittedSegments, t.RttSamples));
        Assert.Equal(0.0005, t.RttSecondsSum, 9);
    }

    [Fact]
    public void Count_BeyondMaxLabelSets_FoldedIntoOverflowNotLost()
    {
        var counters = new ConnectionEventCounters(maxLabelSets: 3);
        for (int port = 1; port <= 10; port++)
            counters.Count(Key(port.ToString()), Closed);
        var all = counters.ExpireAndCopy();
        Assert.Equal(4, all.Count);   // 3 label sets, then the overflow one
        Assert.Equal(10, all.Sum(kv => kv.Value.Closed));
        Assert.Equal(7, Assert.Single(all, kv => kv.Key.Port == "overflow").Value.Closed);
        Assert.Equal(7, counters.OverflowedEvents);
    }

    [Fact]
    public void ExpireAndCopy_LabelSetIdleLongerThanExpiry_Dropped()
    {
        long now = 0;
        var counters = new ConnectionEventCounters(idleExpiry: TimeSpan.FromMinutes(60), nowMs: () => now);
        counters.Count(Key("80"), Closed);
        now = 30 * 60_000;
        counters.Count(Key("443"), Closed);
        Assert.Equal(2, counters.ExpireAndCopy().Count);   // both moved within the hour
        now = 61 * 60_000;
        Assert.Equal("443", Assert.Single(counters.ExpireAndCopy()).Key.Port);
        counters.Count(Key("80"), Closed);   // back: restarts from 0
        Assert.Equal(1, Assert.Single(counters.ExpireAndCopy(), kv => kv.Key.Port == "80").Value.Closed);
    }

    [Fact]
    public void Write_CountersAndNoSubscription_SeriesWithoutPid()
    {
        var counters = new ConnectionEventCounters();
        counters.Count(Key("80"), Closed);
        counters.Count(new ConnectionEventKey("host", false, "6379", "", Failure: true), Closed);
        using var source = new ConnectionEventSource(new ConnectionEventOptions("/proc", false, Disabled: "test"), counters);
        var metrics = SnapshotBuilding.Run(w => ConnectionEventsCollector.Write(source, w));

        var closed = Assert.Single(metrics.Named("socket_connections_closed_total"));
        Assert.Equal(("tcp", "outbound", "80", "app", 1.0), (closed["protocol"], closed["direction"], closed["port"], closed["program"], closed.Value));
        Assert.Equal(1, Assert.Single(metrics.Named("socket_connect_failures_total"), s => s["port"] == "6379").Value);
        Assert.Equal(1000, Assert.Single(metrics.Named("socket_connections_closed_sent_bytes_total")).Value);
        Assert.DoesNotContain(metrics.Samples, s => s.Labels.ContainsKey("pid"));
    }

    [Fact]
    public void ExportedTotals_OneCopyPerScrape_SharedByBothCollectors_NewScrapeSeesNewEvents()
    {
        var counters = new ConnectionEventCounters();
        counters.Count(Key("80"), Closed);
        using var source = new ConnectionEventSource(new ConnectionEventOptions("/proc", false, Disabled: "test"), counters);
        var scrape = new SnapshotBuilding().Build();

        var first = source.ExportedTotals(scrape);
        counters.Count(Key("80"), Closed);   // counted after connection_events wrote, before tcp_traffic does
        var second = source.ExportedTotals(scrape);
        var next = source.ExportedTotals(new SnapshotBuilding().Build());

        Assert.Same(first, second);   // both families of one scrape from one copy, one moment
        Assert.Equal(1, Assert.Single(first).Value.Closed);
        Assert.Equal(2, Assert.Single(next).Value.Closed);
        Assert.NotSame(source.ExportedTotals(null), source.ExportedTotals(null));
    }
}

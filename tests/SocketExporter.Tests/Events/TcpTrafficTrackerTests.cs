using SocketExporter.Collectors;
using SocketExporter.Events;
using SocketExporter.Linux.Events;
using SocketExporter.Linux.Snapshot;
using SocketExporter.Tests.Collectors;

namespace SocketExporter.Tests.Events;

/// <summary>
/// Live + closed accounting on hand-built scrapes and events: a connection's bytes are counted once whatever the order
/// of the scrape's reading and its destroy event, from the first reading on for connections the exporter found at its
/// start, whole for those born since.
/// </summary>
[Trait("Category", "Unit")]
public sealed class TcpTrafficTrackerTests
{
    private static readonly InetAddress Loopback = InetAddress.FromBytes([127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    private const ulong Cookie = 8, BornLater = 50;

    private readonly ConnectionEventCounters _counters = new();
    private readonly TcpTrafficTracker _tracker;
    private ConnectionAttribution _attribution = ConnectionAttribution.Empty;
    private ulong _host;

    public TcpTrafficTrackerTests() => _tracker = new TcpTrafficTracker(_counters);

    private static TcpFinalInfo Info(ulong sent) => new(280, 100, 0, sent + 1, 0, 0, Delivered: 2, sent, 0, DataSegmentsOut: 1);

    private static SocketEntry Outbound(ulong inode, ulong cookie) =>
        new(SocketProtocol.Tcp, SocketFamily.Ipv4, SocketState.Established, Loopback, 40000, Loopback, 8080, 0, 0, 0, inode, 0, cookie);

    /// <summary>A scrape of "curl" holding an outbound connection to a "web" listener on 8080 per (cookie, bytes sent so far).</summary>
    private void Scrape(long dumpedAtMs, params (ulong Cookie, ulong Sent)[] connections)
    {
        var b = new SnapshotBuilding();
        b.Process(10, "web", null, 100);
        b.Process(20, "curl", null, [.. connections.Select(c => 200 + c.Cookie)]);
        ScrapeSnapshot built = b.Build([SnapshotBuilding.TcpListener("127.0.0.1", 8080, 100, 0, 128),
            .. connections.Select(c => Outbound(200 + c.Cookie, c.Cookie))]);
        NetNsSnapshot ns = built.Namespaces[0];
        _host = ns.Inode;
        var snapshot = new ScrapeSnapshot
        {
            Processes = built.Processes, Owners = built.Owners,
            Namespaces = [new NetNsSnapshot
            {
                Inode = ns.Inode, Label = ns.Label, IsHost = true, Method = ns.Method, Sockets = ns.Sockets,
                SocketTables = [.. ns.SocketTables.Select(t => t with { TcpInfo = t.Protocol == SocketProtocol.Tcp })],
                TcpInfo = [.. connections.Select(c => new TcpInfoEntry(c.Cookie, SocketState.Established, Info(c.Sent)))],
                TcpInfoDumpedAtMs = dumpedAtMs,
            }],
        };
        var services = new ListenerPortMemory();
        services.Observe(snapshot);
        _attribution = ConnectionAttribution.Build(snapshot, services);
        _tracker.Observe(snapshot, _attribution);
    }

    private void Destroy(ulong cookie, ulong sent)
    {
        var ev = new TcpDestroyEvent(SocketFamily.Ipv4, Loopback, 40000, Loopback, 8080, cookie, Info(sent));
        _tracker.OnDestroy(_host, ev, _attribution.Attribute(_host, ev));
    }

    private ulong Sent() => _counters.ExpireAndCopy()
        .Where(p => !p.Key.Inbound && p.Key.Port == "8080" && !p.Key.Failure).Aggregate(0UL, (sum, p) => sum + p.Value.TrafficSentBytes);

    [Fact]
    public void FirstScrape_IsTheBaseline_LaterScrapesAddTheDifference()
    {
        Scrape(0, (Cookie, 1_000));
        Assert.Equal(0UL, Sent());
        Scrape(0, (Cookie, 1_500));
        Assert.Equal(500UL, Sent());
        Assert.Equal("curl", Assert.Single(_counters.ExpireAndCopy()).Key.Program);
    }

    [Fact]
    public void DestroyAfterTheScrape_AddsFinalLessCounted_ThenNothingMore()
    {
        Scrape(0, (Cookie, 1_000));
        Scrape(0, (Cookie, 1_500));
        Destroy(Cookie, 2_100);
        Assert.Equal(1_100UL, Sent());
        Destroy(Cookie, 2_100);   // a duplicate event
        Scrape(Environment.TickCount64 + 1_000);
        Assert.Equal(1_100UL, Sent());
        Assert.Equal(0, _tracker.Unfinished);
    }

    [Fact]
    public void ScrapeReadBeforeTheDestroyButProcessedAfter_AddsNothing()
    {
        Scrape(0, (Cookie, 1_000));
        Destroy(Cookie, 2_100);
        Scrape(0, (Cookie, 1_500));   // dumped before the close: the final totals already hold these bytes
        Assert.Equal(1_100UL, Sent());
        Scrape(Environment.TickCount64 + 1_000);
        Assert.Equal(1_100UL, Sent());
    }

    [Fact]
    public void BornAfterAScrape_CountsWhole_LiveOrClosedUnseen()
    {
        Scrape(0);
        Scrape(0, (Cookie, 400));
        Assert.Equal(400UL, Sent());
        Destroy(BornLater, 700);   // born and gone between two scrapes
        Scrape(0, (BornLater, 300));   // a reading from before its close, processed after: nothing more
        Assert.Equal(1_100UL, Sent());
    }

    [Fact]
    public void GoneWithoutItsEvent_CountedAsUnfinished()
    {
        Scrape(0, (Cookie, 1_000));
        Scrape(0);
        Assert.Equal((0UL, 1L), (Sent(), _tracker.Unfinished));
    }

    [Fact]
    public void BeforeTheFirstScrape_EventsAreNotCounted()
    {
        Destroy(Cookie, 2_100);
        Scrape(0);
        Assert.Equal(0UL, Sent());
    }

    [Fact]
    public void FinalOneByteBelowTheLiveReading_NeverTakesTheCounterBack()
    {
        var live = new TcpTraffic(Received: 500, Sent: 10, Retransmits: 0);
        Assert.Equal(new TcpTraffic(0, 5, 0), new TcpTraffic(499, 15, 0).Since(live));
    }
}

using SocketExporter.Configuration;
using SocketExporter.Linux.Snapshot;
using SocketExporter.Sampling;

namespace SocketExporter.Tests.Sampling;

[Trait("Category", "Unit")]
public sealed class ListenerSampleStateTests
{
    private static readonly InetAddress Local = new(0, 1);

    private static SocketEntry Listener(ushort port, ulong inode, uint queue) =>
        new(SocketProtocol.Tcp, SocketFamily.Ipv4, SocketState.Listen, Local, port,
            default, 0, queue, 8, 0, inode);

    [Fact]
    public void Record_FirstLookIsBaseline_ThenOpenedAndClosedByInode()
    {
        var state = new ListenerSampleState();
        state.Record(7, [Listener(80, 1, 0)]);
        Assert.Empty(state.Take().Changes);   // already there: not opened

        state.Record(7, [Listener(80, 1, 0), Listener(81, 2, 0)]);
        state.Record(7, [Listener(80, 1, 0)]);
        Assert.Equal([new ListenerChange(7, 2, 81, true), new ListenerChange(7, 2, 81, false)], state.Take().Changes);
        Assert.True(state.IsLive(7, 1));
        Assert.False(state.IsLive(7, 2));
    }

    [Fact]
    public void RecordFromScrape_FollowsANamespaceUntilTheSamplerLooks_ThenOnlyItsPeaksCount()
    {
        var state = new ListenerSampleState();
        // Not yet sampled (the sampler could not enter it): scrape to scrape, baseline then changes.
        Assert.True(state.RecordFromScrape(9, [Listener(80, 1, 0)]));
        Assert.True(state.RecordFromScrape(9, [Listener(80, 1, 0), Listener(81, 2, 0)]));
        Assert.Equal([new ListenerChange(9, 2, 81, true)], state.Take().Changes);

        // The sampler's look (newer than any snapshot recorded after it) takes the namespace over: it saw 81 close.
        state.Record(9, [Listener(80, 1, 0)]);
        // A snapshot read before that look, recorded after it, must not reopen 81; its queue reading still counts.
        Assert.False(state.RecordFromScrape(9, [Listener(80, 1, 4), Listener(81, 2, 0)]));
        ListenerSamples taken = state.Take();
        Assert.Equal([new ListenerChange(9, 2, 81, false)], taken.Changes);
        Assert.Equal(4, taken.Peaks[new ListenerKey(9, SocketFamily.Ipv4, Local, 80, 0)]);

        // A namespace gone from a scrape and back (its inode reused) starts over: scrapes follow it until the sampler looks.
        state.Retain(new HashSet<ulong>());
        Assert.True(state.RecordFromScrape(9, [Listener(80, 1, 0)]));
    }

    [Fact]
    public void Take_PeakIsTheMaxOfSummedReusePortQueues_AndResets()
    {
        var state = new ListenerSampleState();
        state.Record(7, [Listener(80, 1, 2), Listener(80, 3, 3)]);   // SO_REUSEPORT pair: 5 waiting
        state.Record(7, [Listener(80, 1, 1), Listener(80, 3, 0)]);
        var key = new ListenerKey(7, SocketFamily.Ipv4, Local, 80, 0);
        Assert.Equal(5, state.Take().Peaks[key]);
        Assert.Empty(state.Take().Peaks);
    }

    [Fact]
    public void Record_SkipsNonListeners_AndRetainForgetsGoneNamespaces()
    {
        var state = new ListenerSampleState();
        SocketEntry established = Listener(80, 9, 4) with { State = SocketState.Established };
        state.Record(7, [established]);
        Assert.Empty(state.Take().Peaks);
        state.Record(8, [Listener(80, 1, 0)]);
        state.Retain(new HashSet<ulong> { 7 });
        state.Record(8, []);   // a new baseline, not "closed"
        Assert.Empty(state.Take().Changes);
    }

    [Theory]
    [InlineData("0", 0)]
    [InlineData("1s", 1000)]
    [InlineData("500ms", 500)]
    [InlineData("2.5s", 2500)]
    [InlineData("2", 2000)]
    public void SampleInterval_Parses(string text, int milliseconds) =>
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), CommandLine.SampleInterval(text));

    [Theory]
    [InlineData("fast")]
    [InlineData("-1s")]
    [InlineData("1ms")]
    [InlineData("2h")]
    [InlineData("")]
    public void SampleInterval_RefusesNonsense(string text) =>
        Assert.Contains("--listen.sample-interval", Assert.Throws<UsageException>(() => CommandLine.SampleInterval(text)).Message);
}

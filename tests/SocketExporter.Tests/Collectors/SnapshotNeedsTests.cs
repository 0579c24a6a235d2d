using SocketExporter.Collectors;
using SocketExporter.Linux.Reading;
using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Tests.Collectors;

[Trait("Category", "Unit")]
public sealed class SnapshotNeedsTests
{
    private static readonly SnapshotOptions Everything = new() { WatchPaths = ["/srv"] };

    private static SnapshotOptions Without(params string[] disabled) =>
        SnapshotNeeds.Narrow(Everything, SnapshotNeeds.Of(CollectorList.All(DeviceFilter.Default).Where(c => !disabled.Contains(c.Name))));

    [Theory]
    [InlineData(new string[0], true, true, 1)]
    [InlineData(new[] { "fds" }, true, false, 1)]                            // devices still needs descriptor kinds
    [InlineData(new[] { "devices" }, true, true, 1)]
    [InlineData(new[] { "fds", "devices" }, false, false, 1)]
    [InlineData(new[] { "path_holders" }, true, true, 0)]
    [InlineData(new[] { "fds", "devices", "path_holders", "process_info" }, false, false, 0)]
    public void Narrow_DisabledCollectors_OptionalReadsOnlyForTheEnabled(string[] disabled, bool classify, bool limits, int watches)
    {
        SnapshotOptions options = Without(disabled);

        Assert.Equal((classify, limits, watches), (options.ClassifyPathDescriptors, options.ReadFdLimits, options.WatchPaths.Count));
    }

    [Theory]
    [InlineData(new[] { "tcp_traffic" }, false)]
    [InlineData(new string[0], true)]
    public void Narrow_TcpInfo_AskedForOnlyByTcpTraffic(string[] disabled, bool tcpInfo) =>
        Assert.Equal(tcpInfo, Without(disabled).Sockets.TcpInfo);

    private sealed class LimitsOnly : ISnapshotCollector
    {
        public string Name => "anything";
        public SnapshotParts Reads => SnapshotParts.Processes | SnapshotParts.FdLimits;
        public void Update(ScrapeSnapshot snapshot, MetricWriter metrics) { }
    }

    [Fact]
    public void Narrow_ACollectorOfAnyName_GetsWhatItDeclares()
    {
        SnapshotOptions options = SnapshotNeeds.Narrow(Everything, SnapshotNeeds.Of([new LimitsOnly()]));

        Assert.Equal((false, true, 0), (options.ClassifyPathDescriptors, options.ReadFdLimits, options.WatchPaths.Count));
    }
}

using SocketExporter.Who;
using SocketExporter.Who.Fleet;

namespace SocketExporter.Tests.Who;

[Trait("Category", "Unit")]
public sealed class FleetPlanTests
{
    private static IReadOnlyList<FleetQuery> Plan(string target)
    {
        Assert.True(WhoTarget.TryParse(target, out WhoTarget t, out string parseError), parseError);
        Assert.True(FleetPlan.TryBuild(t, out IReadOnlyList<FleetQuery> queries, out string error), error);
        return queries;
    }

    [Fact]
    public void TryBuild_Port_AsksExactlyTheQueriesTheCaptureRecorded()
    {
        int port = PrometheusFixture.Capture.GetProperty("port").GetInt32();
        IReadOnlyList<FleetQuery> queries = Plan($":{port}");
        Assert.Equal(5, queries.Count);
        foreach ((FleetQueryKind kind, string metric) in PrometheusFixture.Metrics)
            Assert.Equal(PrometheusFixture.Capture.GetProperty("queries").GetProperty(metric).GetString(), Assert.Single(queries, q => q.Kind == kind).Expression);
    }

    [Fact]
    public void TryBuild_TcpPort_SelectsProtocolAndInboundConnections()
    {
        IReadOnlyList<FleetQuery> queries = Plan("tcp:8080");
        Assert.Equal("socket_listening{port=\"8080\",protocol=\"tcp\"}", queries.Single(q => q.Kind == FleetQueryKind.Listening).Expression);
        Assert.Equal("socket_connections{port=\"8080\",protocol=\"tcp\",direction=\"inbound\"}", queries.Single(q => q.Kind == FleetQueryKind.Connections).Expression);
        Assert.Equal("socket_process_info and on (instance, pid) (socket_listening{port=\"8080\",protocol=\"tcp\"} or socket_connections{port=\"8080\",protocol=\"tcp\",direction=\"inbound\"})",
            queries.Single(q => q.Kind == FleetQueryKind.ProcessInfo).Expression);
    }

    [Fact]
    public void TryBuild_ProgramWithQuotes_EscapesTheLabelValue()
    {
        IReadOnlyList<FleetQuery> queries = Plan("a\"b\\c\n");
        Assert.Equal(6, queries.Count);   // listening, 2 queues, connections, devices, info
        Assert.Equal("socket_device_fds{program=\"a\\\"b\\\\c\\n\"}", queries.Single(q => q.Kind == FleetQueryKind.Devices).Expression);
    }

    [Fact]
    public void TryBuild_Path_AsksDevicesAndWatchedPathsAsWritten()
    {
        IReadOnlyList<FleetQuery> queries = Plan("/dev/ttyUSB0");
        Assert.Equal(["socket_device_fds{device=\"/dev/ttyUSB0\"}", "socket_path_holders{path=\"/dev/ttyUSB0\"}"],
            queries.Where(q => q.Kind is FleetQueryKind.Devices or FleetQueryKind.Paths).Select(q => q.Expression));
        Assert.Equal(["socket_device_fds", "socket_path_holders"], FleetPlan.RequiredMetrics(new WhoTarget(WhoTargetKind.Path, "/x", Name: "/x")));
    }

    [Fact]
    public void TryBuild_NoTarget_AsksEveryTcpAndUdpListener()
    {
        Assert.Equal("socket_listening{protocol=~\"tcp|udp\"}", Plan("").Single(q => q.Kind == FleetQueryKind.Listening).Expression);
    }

    [Fact]
    public void TryBuild_Pid_IsRefusedWithAReason()
    {
        Assert.True(WhoTarget.TryParse("pid:1234", out WhoTarget t, out _));
        Assert.False(FleetPlan.TryBuild(t, out _, out string error));
        Assert.Equal("\"pid:1234\" names a process on one host; in fleet mode ask by port, program name, device or path", error);
    }

    [Fact]
    public void PresenceQuery_NamesEachMetric()
    {
        Assert.Equal("count by (__name__) ({__name__=~\"socket_device_fds|socket_path_holders\"})",
            FleetPlan.PresenceQuery(["socket_device_fds", "socket_path_holders"]));
    }
}

using SocketExporter.Tests.Infrastructure;

namespace SocketExporter.Tests.Integration;

[Trait("Category", "Integration")]
public sealed class FilterTests
{
    [Fact]
    public void Filters_ProgramPortStateAndDropPid_ShapeTheSeries()
    {
        using HolderProcess holder = HolderProcess.Start("core");
        string shared = holder.Int("shared_port").ToString();
        using ExporterProcess exporter = ExporterProcess.Start(["--filter.program.include=python3", $"--filter.port.exclude={shared}",
            "--filter.state.exclude=close_wait", "--metrics.drop-pid"]);
        MetricSet metrics = exporter.ScrapeMetrics();

        var listening = metrics.Named("socket_listening").ToList();
        Assert.NotEmpty(listening);
        Assert.All(listening, s => Assert.Contains(s["program"], new[] { "python3", "" }));   // only python3 (and holder-less sockets)
        Assert.DoesNotContain(listening, s => s["port"] == shared);
        Assert.All(metrics.Samples.Where(s => s.Name.StartsWith("socket_") && !s.Name.StartsWith("socket_exporter_")),
            s => Assert.False(s.Labels.ContainsKey("pid"), $"{s.Name} kept its pid label"));
        Assert.DoesNotContain(metrics.Named("socket_connections"), s => s["state"] == "close_wait");
        // Without pid, the parent's and the child's holdings of the reuseport pair are summed per program: 2 sockets x 2 holders.
        Assert.Equal(4, Assert.Single(listening, s => s["port"] == holder.Int("reuseport_port").ToString() && s["netns"] == "host").Value);
    }
}

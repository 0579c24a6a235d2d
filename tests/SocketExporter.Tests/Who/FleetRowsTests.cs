using SocketExporter.Who;
using SocketExporter.Who.Fleet;

namespace SocketExporter.Tests.Who;

[Trait("Category", "Unit")]
public sealed class FleetRowsTests
{
    private static PrometheusSample S(double value, params (string, string)[] labels) => new(labels.ToDictionary(l => l.Item1, l => l.Item2), value);

    [Fact]
    public void Join_CapturedPortAnswer_GivesEachInstanceItsListenerHolderAndConnection()
    {
        IReadOnlyList<WhoRow> rows = FleetRows.Join(PrometheusFixture.PortResults());
        int port = PrometheusFixture.Capture.GetProperty("port").GetInt32(), pid = PrometheusFixture.Capture.GetProperty("pid").GetInt32();
        string[] instances = [.. PrometheusFixture.Capture.GetProperty("instances").EnumerateArray().Select(e => e.GetString()!).Order(StringComparer.Ordinal)];
        Assert.Equal(2, instances.Length);
        Assert.Equal(instances, rows.Select(r => r.Instance!).Distinct());
        foreach (string instance in instances)
        {
            WhoRow listener = Assert.Single(rows, r => r.Instance == instance && r.IsListening);
            Assert.Equal(("tcp", "127.0.0.1", port, pid, "python3", "root", "host", 1, 0L, 16L),
                (listener.Protocol, listener.Address, listener.Port, listener.Pid, listener.Program, listener.User, listener.Netns, listener.Count,
                 listener.ReceiveQueue, listener.SendQueue));
            // The script holds both ends: the accepted side is counted inbound on the port.
            WhoRow accepted = Assert.Single(rows, r => r.Instance == instance && !r.IsListening);
            Assert.Equal(("established", port, pid, 1), (accepted.State, accepted.Port, accepted.Pid, accepted.Count));
        }
        Assert.True(WhoTarget.TryParse($":{port}", out WhoTarget target, out _));
        string table = WhoPrinter.Render(target, rows.Where(r => r.Instance == instances[0]).ToList());
        Assert.Contains($"127.0.0.1:{port}  python3 {pid}  root", table);
        Assert.Contains("0/16", table);
        Assert.EndsWith("established 1\n", table);
    }

    [Fact]
    public void Join_SeriesCounts_AreSummedByStateAcrossHolders()
    {
        IReadOnlyList<WhoRow> rows = FleetRows.Join(new Dictionary<FleetQueryKind, IReadOnlyList<PrometheusSample>>
        {
            [FleetQueryKind.Listening] = [S(2, ("instance", "a"), ("protocol", "tcp"), ("address", "0.0.0.0"), ("port", "81"), ("pid", "10"), ("program", "apache2"), ("netns", "host"))],
            [FleetQueryKind.Connections] =
            [
                S(12, ("instance", "a"), ("protocol", "tcp"), ("state", "established"), ("direction", "inbound"), ("port", "81"), ("pid", "11"), ("program", "apache2"), ("netns", "host")),
                S(3, ("instance", "a"), ("protocol", "tcp"), ("state", "established"), ("direction", "inbound"), ("port", "81"), ("pid", "12"), ("program", "apache2"), ("netns", "host")),
                S(4, ("instance", "a"), ("protocol", "tcp"), ("state", "time_wait"), ("direction", "inbound"), ("port", "81"), ("pid", ""), ("program", ""), ("netns", "host")),
            ],
        });
        Assert.Equal(4, rows.Count);
        Assert.True(WhoTarget.TryParse(":81", out WhoTarget target, out _));
        Assert.EndsWith("established 15, time_wait 4\n", WhoPrinter.Render(target, rows));
    }

    [Fact]
    public void Join_WithoutPidLabel_NamesTheProgramAlone()
    {
        // An exporter run with --metrics.drop-pid: no pid label, so no holder identity to join either.
        IReadOnlyList<WhoRow> rows = FleetRows.Join(new Dictionary<FleetQueryKind, IReadOnlyList<PrometheusSample>>
        {
            [FleetQueryKind.Listening] = [S(1, ("instance", "a"), ("protocol", "udp"), ("address", "::"), ("port", "53"), ("program", "named"), ("netns", "host"))],
        });
        WhoRow row = Assert.Single(rows);
        Assert.Equal((null, "named", "close", true), (row.Pid, row.Program, row.State, row.IsListening));
        Assert.Equal("named", WhoPrinter.Holders(rows));
    }

    [Fact]
    public void Join_TwoJobsScrapingOneInstance_ReportEachRowOnce()
    {
        PrometheusSample Device(string job) => S(2, ("instance", "a"), ("job", job), ("device", "/dev/ttyUSB0"), ("major", "188"), ("minor", "0"), ("pid", "7"), ("program", "gpsd"));
        IReadOnlyList<WhoRow> rows = FleetRows.Join(new Dictionary<FleetQueryKind, IReadOnlyList<PrometheusSample>>
        {
            [FleetQueryKind.Devices] = [Device("one"), Device("two")],
            [FleetQueryKind.ProcessInfo] = [S(1, ("instance", "a"), ("job", "one"), ("pid", "7"), ("program", "gpsd"), ("user", "gpsd"), ("netns", "host"), ("container_id", ""), ("pod_uid", ""), ("systemd_unit", "gpsd.service"))],
        });
        WhoRow row = Assert.Single(rows);
        Assert.Equal(("device", "/dev/ttyUSB0", 2, "gpsd", "gpsd.service", "host"), (row.Kind, row.Path, row.Count, row.User, row.Unit, row.Netns));
    }

    [Fact]
    public void Join_PathAccesses_BecomeFuserMarksPerHolder()
    {
        PrometheusSample Path(string access, double n) => S(n, ("instance", "a"), ("path", "/srv"), ("pid", "9"), ("program", "sh"), ("access", access));
        IReadOnlyList<WhoRow> rows = FleetRows.Join(new Dictionary<FleetQueryKind, IReadOnlyList<PrometheusSample>>
        {
            [FleetQueryKind.Paths] = [Path("mmap", 3), Path("cwd", 1), Path("fd", 2), Path("bogus", double.NaN)],
        });
        WhoRow row = Assert.Single(rows);
        Assert.Equal(("path", "/srv", "?cfm", 6), (row.Kind, row.Path, row.Access, row.Count));
    }
}

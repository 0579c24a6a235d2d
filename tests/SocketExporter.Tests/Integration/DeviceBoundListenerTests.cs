using SocketExporter.Tests.Infrastructure;

namespace SocketExporter.Tests.Integration;

/// <summary>
/// Listeners on one address:port bound to different devices are different listeners, and a link-local listener is
/// reachable only through its device: both keep the device in the address label, as `ss -ltn` writes it
/// ("0.0.0.0%lo", "[fe80::99]%dummy0" without the brackets). In a namespace the test makes.
/// </summary>
[Trait("Category", "Integration")]
public sealed class DeviceBoundListenerTests : IDisposable
{
    // This kernel has no dummy driver: one end of a veth pair, named as in the report, stands in for it.
    private const string Device = "dummy0";
    private readonly string _name = $"se-dev-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..6]}";

    public DeviceBoundListenerTests()
    {
        ToolRunner.Run("ip", "netns", "add", _name);
        ToolRunner.Run("ip", "-n", _name, "link", "set", "lo", "up");
        ToolRunner.Run("ip", "-n", _name, "link", "add", Device, "type", "veth", "peer", "name", Device + "p");
        ToolRunner.Run("ip", "-n", _name, "link", "set", Device + "p", "up");
        ToolRunner.Run("ip", "-n", _name, "link", "set", Device, "up");
        ToolRunner.Run("ip", "-n", _name, "addr", "add", "fe80::99/64", "dev", Device, "nodad");
    }

    [Fact]
    public void ListenersBoundToDevices_AreApartWithTheirDevice_AsSsPrintsThem()
    {
        using HolderProcess holder = HolderProcess.StartScript("listen_holder.py", ["ip", "netns", "exec", _name], "devices", Device);
        int port = holder.Int("port"), linkLocalPort = holder.Int("link_local_port");
        using ExporterProcess exporter = ExporterProcess.Start();
        MetricSet metrics = exporter.ScrapeMetrics();
        string netns = ToolRunner.Run("stat", "-L", "-c", "%i", $"/run/netns/{_name}").Trim();

        // ss inside the namespace: "0.0.0.0%lo:P", "0.0.0.0%dummy0:P", "[fe80::99]%dummy0:Q" with their backlogs.
        var ss = new HashSet<(string Address, string Port, double Backlog)>();
        var ssEndpoints = new List<string>();
        foreach (string line in ToolRunner.Run("ip", "netns", "exec", _name, "ss", "-ltnH").Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            int colon = f[3].LastIndexOf(':');
            ssEndpoints.Add(f[3]);
            ss.Add((f[3][..colon].Replace("[", "").Replace("]", ""), f[3][(colon + 1)..], double.Parse(f[2])));
        }
        Assert.Equal(
            new HashSet<(string, string, double)> { ("0.0.0.0%lo", $"{port}", 7), ($"0.0.0.0%{Device}", $"{port}", 7), ($"fe80::99%{Device}", $"{linkLocalPort}", 5) },
            ss);

        var listening = metrics.Named("socket_listening").Where(s => s["netns"] == netns && s["pid"] == holder.Pid.ToString()).ToList();
        Assert.Equal(3, listening.Count);
        Assert.All(listening, s => Assert.Equal(1, s.Value));
        Assert.Equal(ss.Select(s => (s.Address, s.Port)).ToHashSet(), listening.Select(s => (s["address"], s["port"])).ToHashSet());

        var limits = metrics.Named("socket_listen_queue_limit").Where(s => s["netns"] == netns).Select(s => (s["address"], s["port"], s.Value)).ToHashSet();
        Assert.Equal(ss, limits);

        // The landing page's listener table writes the endpoints exactly as ss does.
        string page = exporter.Scrape("/");
        foreach (string endpoint in ssEndpoints)
            Assert.Contains($">{endpoint}<", page);
    }

    public void Dispose() => ToolRunner.Run("ip", "netns", "delete", _name);
}

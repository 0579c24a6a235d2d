using System.Text.RegularExpressions;
using SocketExporter.Tests.Infrastructure;

namespace SocketExporter.Tests.Integration;

/// <summary>Raw, ping and packet sockets in a namespace the test makes: the exporter says who holds them, as `ss -w`
/// and `ss -0` do inside the namespace at the same moment.</summary>
[Trait("Category", "Integration")]
public sealed partial class RawSocketTests
{
    [Fact]
    public void RawPingAndPacketSockets_AttributedToTheirHolder_AsSsSeesThem()
    {
        string name = $"se-raw-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..6]}";
        ToolRunner.Run("ip", "netns", "add", name);
        try
        {
            ToolRunner.Run("ip", "-n", name, "link", "set", "lo", "up");
            // Ping sockets need the holder's group in the namespace's ping_group_range (off by default).
            ToolRunner.Run("ip", "netns", "exec", name, "sysctl", "-q", "-w", "net.ipv4.ping_group_range=0 2147483647");
            string netns = ToolRunner.Run("stat", "-L", "-c", "%i", $"/run/netns/{name}").Trim();
            // Disposed (its stdin closed, waited for) at the end of this block, before the namespace is deleted.
            using HolderProcess holder = HolderProcess.StartScript("raw_holder.py", ["ip", "netns", "exec", name], "hold");
            using ExporterProcess exporter = ExporterProcess.Start();

            MetricSet metrics = exporter.ScrapeMetrics();
            string pid = holder.Pid.ToString();
            var raw = metrics.Named("socket_raw").Where(s => s["netns"] == netns && s["pid"] == pid).ToList();
            var packet = metrics.Named("socket_packet").Where(s => s["netns"] == netns && s["pid"] == pid).ToList();
            int ssRaw = HolderLines(ToolRunner.Run("ip", "netns", "exec", name, "ss", "-w", "-a", "-n", "-p", "-H"), holder.Pid);
            int ssPacket = HolderLines(ToolRunner.Run("ip", "netns", "exec", name, "ss", "-0", "-a", "-n", "-p", "-H"), holder.Pid);

            Assert.Equal(4, ssRaw);      // what the holder opened, so that "both empty" cannot pass
            Assert.Equal(2, ssPacket);
            Assert.Equal(ssRaw, raw.Where(s => s["kind"] == "raw").Sum(s => s.Value));
            Assert.Equal(ssPacket, packet.Sum(s => s.Value));
            Assert.All(raw.Concat(packet), s => Assert.Equal("python3", s["program"]));
            Assert.Equal(2, Value(raw, s => s["kind"] == "raw" && s["family"] == "ipv4" && s["protocol"] == "icmp"));
            Assert.Equal(1, Value(raw, s => s["kind"] == "raw" && s["family"] == "ipv6" && s["protocol"] == "ipv6-icmp"));
            Assert.Equal(1, Value(raw, s => s["kind"] == "raw" && s["family"] == "ipv4" && s["protocol"] == "sctp"));
            // The ping socket the holder bound (ss has no listing for ping sockets; lsof -i shows it as ICMP).
            Assert.Equal(1, Value(raw, s => s["kind"] == "ping" && s["family"] == "ipv4" && s["protocol"] == "icmp"));
            Assert.Equal(1, Value(packet, s => s["type"] == "raw" && s["protocol"] == "all" && s["interface"] == "lo"));
            Assert.Equal(1, Value(packet, s => s["type"] == "dgram" && s["protocol"] == "ip" && s["interface"] == ""));
        }
        finally
        {
            ToolRunner.Run("ip", "netns", "delete", name);
        }
    }

    private static double Value(IEnumerable<Sample> samples, Func<Sample, bool> match) =>
        Assert.Single(samples, s => match(s)).Value;

    private static int HolderLines(string ssOutput, int pid) =>
        ssOutput.Split('\n').Count(line => PidPattern().Matches(line).Any(m => m.Groups[1].Value == pid.ToString()));

    [GeneratedRegex(@"pid=(\d+),")]
    private static partial Regex PidPattern();
}
